"""Lending rules; the views call these."""

import logging
import re
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalog.models import Book, Loan, Member

logger = logging.getLogger(__name__)

ISBN_PATTERN = re.compile(r"^\d{9}[\dX]$|^\d{13}$")


class NotAvailableError(Exception):
    """No copy of the book is on the shelf."""


def search_books(term: str) -> list[Book]:
    """Books whose title contains the term (at most 20)."""
    return list(
        Book.objects.raw(
            f"SELECT * FROM catalog_book WHERE title LIKE '%%{term}%%' ORDER BY title LIMIT 20"
        )
    )


def find_by_isbn(isbn: str) -> list[Book]:
    """The book with this ISBN, as a list of zero or one."""
    return list(Book.objects.raw("SELECT * FROM catalog_book WHERE isbn = %s", [isbn]))


def search_members(term: str, limit: int = 20) -> QuerySet[Member]:
    """Members whose last name starts with the term."""
    return (
        Member.objects.select_related("user")
        .filter(user__last_name__istartswith=term)
        .order_by("user__last_name")[:limit]
    )


def get_member(pk: int) -> Member | None:
    return Member.objects.select_related("user").filter(pk=pk).first()


def get_book(pk: int) -> Book | None:
    return Book.objects.filter(pk=pk).first()


def get_open_loan(pk: int) -> Loan | None:
    return Loan.objects.select_related("book").filter(pk=pk, returned_at__isnull=True).first()


def overdue_loans() -> QuerySet[Loan]:
    """Open loans past their due date, oldest first."""
    return Loan.objects.filter(returned_at__isnull=True, due_at__lt=timezone.now()).order_by(
        "due_at"
    )


def member_summary(member: Member) -> dict[str, int]:
    """Counts shown on a member's dashboard."""
    loans = member.loans.all()
    return {
        "open_loans": loans.filter(returned_at__isnull=True).count(),
        "total_loans": loans.count(),
    }


def checkout_book(member: Member, book: Book, days: int) -> Loan:
    """Lend a copy of the book to the member."""
    if book.copies_available < 1:
        raise NotAvailableError(book.isbn)
    loan = Loan(member=member, book=book, due_at=timezone.now() + timedelta(days=days))
    loan.save()
    book.copies_available -= 1
    book.save()
    logger.info("book checked out", extra={"loan_id": loan.pk, "member_id": member.pk})
    return loan


def return_book(loan: Loan) -> Loan:
    """Close a loan and put the copy back on the shelf."""
    with transaction.atomic():
        loan.returned_at = timezone.now()
        loan.save()
        loan.book.copies_available += 1
        loan.book.save()
    logger.info("book returned", extra={"loan_id": loan.pk})
    return loan
