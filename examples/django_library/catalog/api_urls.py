from django.urls import include, path
from rest_framework.routers import DefaultRouter

from catalog import api

router = DefaultRouter()
router.register("books", api.BookViewSet, basename="book")

urlpatterns = [
    path("search/books/", api.BookSearchView.as_view(), name="book-search"),
    path("members/search/", api.MemberSearchView.as_view(), name="member-search"),
    path("members/<int:pk>/", api.MemberDetail.as_view(), name="member-detail"),
    path("loans/overdue/", api.OverdueLoanList.as_view(), name="loan-overdue"),
    path("loans/checkout/", api.CheckoutView.as_view(), name="loan-checkout"),
    path("loans/<int:pk>/return/", api.ReturnView.as_view(), name="loan-return"),
    path("", include(router.urls)),
]
