"""The full-text indexes of challenges and listings, which the database keeps in step itself.

Search must go through an index, not read every row (issue #14). Each database has its own:

- **SQLite**: an FTS5 table `<table>_fts` over `search_document` (the stems `clusters.search`
  writes), with the table itself as its content, so it stores only the index. Triggers keep
  it in step on every insert, update and delete, whoever writes: the save services, the
  import's bulk writes, `bulk_update`, the admin, a raw SQL fix. A search matches every stem
  of the query as a whole token: exactly what `search_document LIKE '% stem %'` matched.
- **PostgreSQL**: a `search_vector` column (the title weighted A, the description B, English
  configuration) that a trigger fills on insert and on a change of title or description,
  with a GIN index. The search filters with that index and ranks by the stored vector, rather
  than parsing the text of every matching row again to rank it (which took 0.3 s a query on
  20,000 listings).

Neither is a Django field: the ORM never reads or writes them. Migration 0010 creates them.
On SQLite, Django rebuilds a table to alter some columns (create a copy, drop the table,
rename the copy), and dropping the table drops its triggers: `repair_sqlite_indexes` (run
after every `migrate`, clusters.apps) puts them back and re-reads the rows.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

TABLES = ("clusters_challenge", "clusters_listing")

# unicode61 splits on spaces and punctuation. Marks (M*) are kept in tokens, as
# clusters.search keeps them in words (Devanagari vowel signs); Cn keeps a letter newer than
# SQLite's Unicode tables inside its token. No accent folding: "café" is not "cafe", as before.
TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* M* Co Cn'"

# Exactly the text Django's SearchVector("title", weight="A", config="english") +
# SearchVector("description", weight="B", config="english") ranks, stored.
VECTOR = (
    "setweight(to_tsvector('english'::regconfig, COALESCE(NEW.title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(NEW.description, '')), 'B')"
)


def _sqlite_triggers(table: str) -> list[str]:
    fts = f"{table}_fts"
    remove = (
        f"INSERT INTO {fts}({fts}, rowid, search_document) "
        "VALUES ('delete', old.id, old.search_document);"
    )
    add = f"INSERT INTO {fts}(rowid, search_document) VALUES (new.id, new.search_document);"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF search_document ON {table} "
        f"WHEN old.search_document IS NOT new.search_document BEGIN {remove} {add} END",
    ]


def _trigger_names(table: str) -> set[str]:
    return {f"{table}_fts_insert", f"{table}_fts_delete", f"{table}_fts_update"}


def create_indexes(connection: BaseDatabaseWrapper) -> None:
    """Create the index of each table and fill it from the rows already there."""
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "sqlite":
                cursor.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_fts USING fts5("
                    f"search_document, content='{table}', content_rowid='id', "
                    f'tokenize="{TOKENIZER}")'
                )
                for statement in _sqlite_triggers(table):
                    cursor.execute(statement)
                cursor.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")
            elif connection.vendor == "postgresql":
                # MAIN: the vector stays in the row (compressed if need be), where ranking
                # reads it, rather than in the TOAST table, one more lookup a row; the stems
                # (search_document, which only SQLite searches) move out first instead.
                cursor.execute(
                    f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS search_vector tsvector, "
                    "ALTER COLUMN search_vector SET STORAGE MAIN, "
                    "ALTER COLUMN search_document SET STORAGE EXTERNAL"
                )
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {table}_search_vector() RETURNS trigger "
                    f"LANGUAGE plpgsql AS $$ BEGIN NEW.search_vector := {VECTOR}; "
                    "RETURN NEW; END $$"
                )
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_search_vector ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {table}_search_vector BEFORE INSERT OR UPDATE OF title, "
                    f"description ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_search_vector()"
                )
                # Fill the rows already there (the trigger fires: title is in the SET list).
                cursor.execute(f"UPDATE {table} SET title = title")
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {table}_search_vector ON {table} "
                    "USING gin (search_vector)"
                )


def drop_indexes(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "sqlite":
                for trigger in sorted(_trigger_names(table)):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                cursor.execute(f"DROP TABLE IF EXISTS {table}_fts")
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_search_vector ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {table}_search_vector()")
                cursor.execute(f"DROP INDEX IF EXISTS {table}_search_vector")
                cursor.execute(
                    f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector, "
                    "ALTER COLUMN search_document SET STORAGE EXTENDED"
                )


def repair_sqlite_indexes(connection: BaseDatabaseWrapper) -> list[str]:
    """Put back the triggers a table rebuild dropped, and re-read that table's rows.

    Does nothing where the index was never created (before migration 0010) or is whole.
    Returns the tables repaired.
    """
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for name, _ in cursor.fetchall()}
        repaired = []
        for table in TABLES:
            if f"{table}_fts" not in present or _trigger_names(table) <= present:
                continue
            for statement in _sqlite_triggers(table):
                cursor.execute(statement)
            cursor.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")
            repaired.append(table)
    return repaired
