"""Search through an index the database keeps in step itself (clusters.fulltext).

SQLite: FTS5 tables over the stored stems, with triggers. PostgreSQL: a stored, weighted
search_vector column filled by a trigger, with a GIN index; it replaces the expression
indexes of 0003, which could find rows but not rank them without parsing each row again.
"""

from django.db import migrations

from clusters.fulltext import TABLES, create_indexes, drop_indexes

# Migration 0003's expression, to put its indexes back when this migration is reversed.
EXPRESSION_0003 = (
    "to_tsvector('english'::regconfig, COALESCE(title, '') || ' ' || COALESCE(description, ''))"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:  # first, so that filling the new column does not update them
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_fts")
    create_indexes(schema_editor.connection)


def backwards(apps, schema_editor):
    drop_indexes(schema_editor.connection)
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_fts ON {table} USING gin (({EXPRESSION_0003}))"
            )


class Migration(migrations.Migration):
    dependencies = [("clusters", "0009_references_end_without_a_newline")]
    operations = [migrations.RunPython(forwards, backwards)]
