"""DRF serializers."""

from rest_framework import serializers

from catalog.models import Book, Loan, Member


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = "__all__"
        read_only_fields = ["slug", "copies_available"]


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = "__all__"


class MemberPublicSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = Member
        fields = ["id", "name"]


class LoanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Loan
        fields = ["id", "member", "book", "borrowed_at", "due_at", "returned_at"]


class CheckoutSerializer(serializers.Serializer):
    member_id = serializers.IntegerField(min_value=1)
    book_id = serializers.IntegerField(min_value=1)
    days = serializers.IntegerField(min_value=1, max_value=60, default=21)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(min_length=1, max_length=100)
