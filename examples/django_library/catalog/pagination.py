"""Pagination of the API's collections."""

from rest_framework.pagination import LimitOffsetPagination


class StandardPagination(LimitOffsetPagination):
    """?limit=&offset= with a default page size and a hard ceiling."""

    default_limit = 20
    max_limit = 100
