"""Shop API: orders, products, users and file uploads for the web shop."""
