from django.db import migrations


def strip_isbn_dashes(apps, schema_editor):
    Book = apps.get_model("catalog", "Book")
    for book in Book.objects.filter(isbn__contains="-").iterator():
        book.isbn = book.isbn.replace("-", "")
        book.save(update_fields=["isbn"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_book_slug"),
    ]

    operations = [
        # Dashes carried no information, so going back leaves the ISBNs as they are.
        migrations.RunPython(strip_isbn_dashes, reverse_code=migrations.RunPython.noop),
    ]
