"""Re-stem titles and descriptions with letters outside ASCII: search now keeps such words whole.

Before, "café" was stored as the stem "caf" and "ŵyr" as "yr". Text in plain ASCII gives the
same stems as before, so only the other rows are rewritten.
"""

from django.db import migrations

from clusters.search import search_document


def restem(apps, schema_editor):
    for name in ("Challenge", "Listing"):
        model = apps.get_model("clusters", name)
        changed = []
        rows = model.objects.only("pk", "title", "description", "search_document")
        for row in rows.iterator(chunk_size=2000):
            if row.title.isascii() and row.description.isascii():
                continue
            document = search_document(row.title, row.description)
            if document != row.search_document:
                row.search_document = document
                changed.append(row)
        model.objects.bulk_update(changed, ["search_document"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("clusters", "0004_moderation_takedowns_reviews_and_renames")]

    operations = [migrations.RunPython(restem, migrations.RunPython.noop, elidable=True)]
