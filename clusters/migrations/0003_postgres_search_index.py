"""On PostgreSQL, GIN indexes on the full-text expression the search filters by."""

from django.db import migrations

TABLES = ["clusters_challenge", "clusters_listing"]
# Exactly the SQL Django writes for SearchVector("title", "description", config="english"),
# so that the planner uses the index (checked with EXPLAIN in tests/clusters/test_search.py).
EXPRESSION = (
    "to_tsvector('english'::regconfig, COALESCE(title, '') || ' ' || COALESCE(description, ''))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite searches the stored stems instead (clusters.search)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_fts ON {table} USING gin (({EXPRESSION}))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_fts")


class Migration(migrations.Migration):
    dependencies = [("clusters", "0002_reference_data")]
    operations = [migrations.RunPython(create, drop)]
