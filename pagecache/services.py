"""The content generation: read it for every cacheable request, change it when content changes.

Why a generation and not "delete the pages that changed": a listing appears on its own page,
on the offer or need list (every search and page of it), on its challenge's and its
clusters' pages and in the counts on the home page. Working out every key a change touches
is where invalidation goes wrong. Changing one value retires every cached page at once, and
public content changes a few times an hour, so throwing all pages away costs little.

Why in the database: it is the one store that every web process on every machine already
shares and that is up whenever content can change (a change is a database write). Reading it
is one primary-key SELECT per anonymous request (measured in docs/benchmarks.md, web_load);
a cache hit then costs that one query instead of the page's 5 to 15.

Why after commit: a request that reads the new value must find the change in the database,
so the value changes only once the change is committed (transaction.on_commit). Bumping
inside the writer's transaction instead would hold a row lock on the generation until
commit, queueing every other publisher behind a long import and risking deadlocks with the
row locks services take. The window between commit and bump is the few microseconds of one
UPDATE; a page rendered from the old data in that window is stored under the old value,
which is never read again.
"""

import itertools
import logging
import secrets

from django.db import DatabaseError, connection, transaction

from .models import Generation

logger = logging.getLogger(__name__)

ROW = 1
READ = f"SELECT value FROM {Generation._meta.db_table} WHERE id = %s"

# Set at once (not on commit) in the process that made a change, until its commit bumps the
# shared value: its own next requests miss the cache even before the transaction commits, and
# so do tests, whose transactions never commit. It only ever adds misses; the shared value is
# what other processes see.
_local_changes = itertools.count(1)
_pending = 0


def current() -> str | None:
    """The key part naming the current content, or None (serve without the cache) if the
    generation cannot be read, e.g. the row is missing after a database flush."""
    try:
        # Plain SQL: the ORM's query building was 9 parts in 10 of this read (about 200 us
        # against 20 us), and it runs on every signed-out request for a cached page.
        with connection.cursor() as cursor:
            cursor.execute(READ, [ROW])
            row = cursor.fetchone()
    except DatabaseError:
        logger.warning("page cache: cannot read the generation", exc_info=True)
        return None
    if row is None:
        return None
    return f"{row[0]}.{_pending}"


def bump() -> None:
    """Retire every cached page: now in this process, and everywhere once the current
    transaction commits (at once outside a transaction). Called by the signal receivers
    (signals.py) on every save and delete of public content, and by the bulk writes that
    send no signals (import_exchange). Several changes in one transaction bump once."""
    global _pending
    _pending = next(_local_changes)
    db = transaction.get_connection()
    if db.in_atomic_block and any(func is _bump_now for _, func, _ in db.run_on_commit):
        return
    # robust: the change itself is committed; if the bump fails (the database went away
    # right after the commit), log it rather than show the person an error. Pages cached
    # before then expire after PAGE_CACHE_SECONDS.
    transaction.on_commit(_bump_now, robust=True)


def _bump_now() -> None:
    global _pending
    value = secrets.randbits(62)
    if not Generation.objects.filter(pk=ROW).update(value=value):
        Generation.objects.update_or_create(pk=ROW, defaults={"value": value})
    _pending = 0
