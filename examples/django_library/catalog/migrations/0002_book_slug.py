from django.db import migrations, models
from django.utils.text import slugify


def fill_slugs(apps, schema_editor):
    Book = apps.get_model("catalog", "Book")
    for book in Book.objects.all().iterator():
        book.slug = slugify(f"{book.title}-{book.isbn}")[:220]
        book.save(update_fields=["slug"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="book",
            name="slug",
            field=models.SlugField(blank=True, max_length=220),
        ),
        migrations.RunPython(fill_slugs),
    ]
