"""REST API (Django REST framework)."""

import logging

from django.db.models import QuerySet
from django.http import Http404
from rest_framework import generics, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import services
from catalog.models import Book, Loan, Member
from catalog.pagination import StandardPagination
from catalog.serializers import (
    BookSerializer,
    CheckoutSerializer,
    LoanSerializer,
    MemberPublicSerializer,
    MemberSerializer,
    SearchQuerySerializer,
)

logger = logging.getLogger(__name__)


class BookViewSet(viewsets.ModelViewSet):
    """Create, browse, edit and retire books."""

    queryset = Book.objects.select_related("author").order_by("title", "id")
    serializer_class = BookSerializer
    pagination_class = StandardPagination

    def perform_create(self, serializer: BookSerializer) -> None:
        book = serializer.save(copies_available=serializer.validated_data.get("copies_total", 1))
        logger.info("book added", extra={"book_id": book.pk, "user_id": self.request.user.pk})

    def perform_update(self, serializer: BookSerializer) -> None:
        book = serializer.save()
        logger.info("book changed", extra={"book_id": book.pk, "user_id": self.request.user.pk})

    def perform_destroy(self, instance: Book) -> None:
        logger.info("book removed", extra={"book_id": instance.pk, "user_id": self.request.user.pk})
        instance.delete()


class BookSearchView(APIView):
    """Find books by title, or by ISBN when the query is one."""

    def get(self, request: Request) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        term = query.validated_data["q"]
        if services.ISBN_PATTERN.match(term):
            books = services.find_by_isbn(term)
        else:
            books = services.search_books(term)
        return Response(BookSerializer(books, many=True).data)


class MemberSearchView(APIView):
    """Look members up by last name at the front desk."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        members = services.search_members(query.validated_data["q"])
        return Response(MemberPublicSerializer(members, many=True).data)


class MemberDetail(generics.RetrieveAPIView):
    """One member's record."""

    queryset = Member.objects.select_related("user")
    serializer_class = MemberSerializer


class OverdueLoanList(generics.ListAPIView):
    """Loans that should have come back already."""

    serializer_class = LoanSerializer

    def get_queryset(self) -> QuerySet[Loan]:
        return services.overdue_loans()


class CheckoutView(APIView):
    """Lend a book to a member."""

    def post(self, request: Request) -> Response:
        data = CheckoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.get_member(data.validated_data["member_id"])
        book = services.get_book(data.validated_data["book_id"])
        if member is None or book is None:
            raise Http404("Unknown member or book")
        try:
            loan = services.checkout_book(member, book, data.validated_data["days"])
        except services.NotAvailableError:
            return Response({"detail": "No copy available"}, status=status.HTTP_409_CONFLICT)
        return Response(LoanSerializer(loan).data, status=status.HTTP_201_CREATED)


class ReturnView(APIView):
    """Take a book back."""

    def post(self, request: Request, pk: int) -> Response:
        loan = services.get_open_loan(pk)
        if loan is None:
            raise Http404("No open loan with this id")
        loan = services.return_book(loan)
        return Response(LoanSerializer(loan).data)
