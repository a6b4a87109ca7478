"""store emails in lower case so logins are case-insensitive

Revision ID: 0004_lowercase_emails
Revises: 0003_product_currency_and_files
Create Date: 2024-09-11 14:22:00
"""

from alembic import op

revision = "0004_lowercase_emails"
down_revision = "0003_product_currency_and_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE users SET email = lower(email)")


def downgrade() -> None:
    pass
