"""Load listings and challenges, call the engine, and store the suggestions it makes.

The rest of the site reaches the matcher through this module only: drafts and enquiries are
turned into engine documents here (preview_for_draft, preview_for_enquiry), clusters asks for
matching with request_matching and reads suggestions with challenge_suggestions, and the score
bands are strength() and GOOD. No other app imports matching.engine.

Every function here is safe to run twice or side by side: work rows and rebuild chunks
are claimed with one atomic update before any work, and matches are upserts on their
unique (source, target) pair.
"""

import dataclasses
import gc
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    ExpressionWrapper,
    F,
    Q,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from api.models import Removal
from clusters.models import Challenge, Listing

from . import engine
from .events import announce_new_matches

# Funding calls for a listing or an accepted introduction: other apps reach them here.
from .funding import calls_for_introduction, calls_for_listing, calls_for_listings  # noqa: F401
from .models import Match, MatchingRun, MatchingWork, MatchModel, MatchModelPart, RebuildChunk

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=getattr(settings, "MATCHING_LEASE_SECONDS", 600))
FIRST_MODEL_POLL_SECONDS = 1.0
TOP = 10
# Past this many listings changed since the last fit, scoring one listing would drag too
# many fresh vectors along: refit instead.
MAX_CHANGED_SINCE_FIT = 5000


@dataclass(frozen=True)
class _Source:
    """Where a source's matches are stored: its Match.source_key and its own row."""

    key: str
    listing_id: int | None = None
    challenge_id: int | None = None


# Reading the database into engine documents ----------------------------------------------


def _listing_docs(listings, ids: dict[str, _Source] | None = None) -> list[engine.Doc]:
    """The engine documents of `listings`; `ids` (if given) gets where each one's matches go."""
    rows = list(
        listings.values_list(
            "pk",
            "ref",
            "kind",
            "title",
            "description",
            "partner_kind",
            "organisation__ref",
            "organisation__kind",
            "challenge__ref",
        )
    )
    themes, clusters = _related_slugs(Listing, listings)
    if ids is not None:
        ids.update((row[1], _Source(f"L{row[0]}", listing_id=row[0])) for row in rows)
    return [
        engine.Doc(
            ref=ref,
            owner=owner,
            kind=kind,
            title=title,
            text=description,
            themes=frozenset(themes.get(pk, ())),
            clusters=frozenset(clusters.get(pk, ())),
            owner_kind=owner_kind,
            partner_kind=partner_kind,
            challenge=challenge or "",
        )
        for pk, ref, kind, title, description, partner_kind, owner, owner_kind, challenge in rows
    ]


def _challenge_docs(challenges, ids: dict[str, _Source] | None = None) -> list[engine.Doc]:
    rows = list(challenges.values_list("pk", "ref", "title", "description", "cluster__slug"))
    themes, _ = _related_slugs(Challenge, challenges, clusters=False)
    if ids is not None:
        ids.update((row[1], _Source(f"C{row[0]}", challenge_id=row[0])) for row in rows)
    return [
        engine.Doc(
            ref=ref,
            owner=f"challenge:{ref}",
            kind="challenge",
            title=title,
            text=description,
            themes=frozenset(themes.get(pk, ())),
            clusters=frozenset([cluster]),
        )
        for pk, ref, title, description, cluster in rows
    ]


def _related_slugs(model, rows, clusters: bool = True):
    """{pk: [theme slugs]}, {pk: [cluster slugs]} of the queryset `rows`: one query each,
    however many rows."""
    found: dict[str, dict[int, list[str]]] = {"themes": defaultdict(list)}
    if clusters:
        found["clusters"] = defaultdict(list)
    for name in found:
        field = model._meta.get_field(name)
        source = field.m2m_field_name()
        target = field.m2m_reverse_field_name()
        pairs = field.remote_field.through.objects.filter(
            **{f"{source}_id__in": rows.values("pk")}
        ).values_list(f"{source}_id", f"{target}__slug")
        for pk, slug in pairs:
            found[name][pk].append(slug)
    return found["themes"], found.get("clusters", {})


def eligible_listings():
    return Listing.objects.published()


def eligible_challenges():
    return Challenge.objects.open()


def all_docs(ids: dict[str, _Source] | None = None) -> list[engine.Doc]:
    """Every eligible listing and challenge as an engine document; `ids` (if given) gets
    where each one's matches are stored."""
    return _listing_docs(eligible_listings(), ids) + _challenge_docs(eligible_challenges(), ids)


def blocked_pairs() -> dict[str, set[str]]:
    """Owner (organisation ref) -> targets it marked "not relevant": never suggested again."""
    blocked: dict[str, set[str]] = defaultdict(set)
    # Excluding "new" first lets SQLite use the partial index match_status (a scan otherwise:
    # 67 ms against 3 ms at 1,000,000 matches, in every job).
    dismissed = (
        Match.objects.exclude(status=Match.Status.NEW)
        .filter(status=Match.Status.DISMISSED, source_listing__isnull=False)
        .values_list("source_listing__organisation__ref", "target__ref")
    )
    for owner, target in dismissed:
        blocked[owner].add(target)
    return blocked


# Saved models ----------------------------------------------------------------------------

# The model last read or fitted by this process, by its record's id. Not by version: the version
# names the engine and its settings, not the documents, so a refit over new listings has the
# same version, and a worker holding the previous fit would rank a rebuild's chunk with it
# (found by the worker-kill drill: every source new since the last fit lost its suggestions).
_loaded: dict[int, engine.Model] = {}


PART_SIZE = 32 * 1024 * 1024
KEEP_MODELS = 3


def save_model(model: engine.Model, doc_count: int) -> MatchModel:
    """Store a fitted model in the database and make it the current one.

    A refit that gives the same version (the same engine and settings) replaces the stored
    one; only the last few models are kept. A refit identical to the current model (the
    same digest: nothing that matching reads has changed) is not packed and written again,
    only marked as fitted now (0.3-0.8 s of a rebuild at 20,000 listings).
    """
    digest = model.digest()
    with transaction.atomic():
        same = (
            MatchModel.objects.select_for_update()
            .filter(is_current=True, version=model.version, digest=digest)
            .first()
        )
        if same is not None:
            same.fitted_at, same.doc_count = timezone.now(), doc_count
            same.save(update_fields=["fitted_at", "doc_count"])
            _loaded.clear()
            _loaded[same.pk] = model
            return same
    data = model.dumps()
    with transaction.atomic():
        MatchModel.objects.filter(version=model.version).delete()
        MatchModel.objects.filter(is_current=True).update(is_current=False)
        record = MatchModel.objects.create(
            version=model.version,
            digest=digest,
            size=len(data),
            doc_count=doc_count,
            fitted_at=timezone.now(),
            is_current=True,
        )
        MatchModelPart.objects.bulk_create(
            MatchModelPart(model=record, index=i, data=data[start : start + PART_SIZE])
            for i, start in enumerate(range(0, len(data), PART_SIZE))
        )
        old = MatchModel.objects.order_by("-fitted_at").values_list("pk", flat=True)[KEEP_MODELS:]
        MatchModel.objects.filter(pk__in=list(old)).delete()
    _loaded.clear()
    _loaded[record.pk] = model
    return record


def load_model(record: MatchModel) -> engine.Model:
    """The engine model of a record, read once per process."""
    if record.pk not in _loaded:
        parts = record.parts.order_by("index").values_list("data", flat=True)
        model = engine.Model.loads(b"".join(bytes(part) for part in parts))
        _loaded.clear()
        _loaded[record.pk] = model
    return _loaded[record.pk]


def current_model() -> tuple[MatchModel, engine.Model] | None:
    """The current fitted model, or None if there is none or it cannot be read.

    A model saved by an older engine (after an upgrade) cannot be read: it is retired and
    a rebuild requested, rather than failing the page or job that asked.
    """
    record = MatchModel.objects.filter(is_current=True).first()
    if record is None:
        return None
    try:
        return record, load_model(record)
    except Exception:
        log.exception("Saved matching model %s cannot be read; requesting a rebuild", record)
        MatchModel.objects.filter(pk=record.pk).update(is_current=False)
        request_rebuild()
        return None


# Writing matches -------------------------------------------------------------------------

BATCH = 900  # keys or ids in one IN (...): below SQLite's old limit of 999 parameters
WRITE_BATCH = 5000  # rows sent in one executemany
SQLITE_CACHE_KIB = -64 * 1024  # SQLite's page cache while writing many matches (negative: KiB)


@dataclass
class Written:
    """What storing suggestions did to the Match table."""

    new: int = 0
    changed: int = 0
    removed: int = 0  # untouched suggestions that dropped out: deleted
    unranked: int = 0  # suggestions a person answered that dropped out: kept, without a rank
    unchanged: int = 0

    @property
    def rows(self) -> int:
        """Rows inserted or updated."""
        return self.new + self.changed

    def __add__(self, other: "Written") -> "Written":
        return Written(
            *(getattr(self, f.name) + getattr(other, f.name) for f in dataclasses.fields(self))
        )

    def __str__(self) -> str:
        return (
            f"{self.new:,} new, {self.changed:,} changed, {self.removed:,} removed, "
            f"{self.unranked:,} unranked, {self.unchanged:,} unchanged"
        )


def _source_objects(refs: Iterable[str]) -> dict[str, _Source]:
    refs = list(refs)
    found: dict[str, _Source] = {}
    for start in range(0, len(refs), BATCH):
        chunk = refs[start : start + BATCH]
        for ref, pk in Listing.objects.filter(ref__in=chunk).values_list("ref", "pk"):
            found[ref] = _Source(f"L{pk}", listing_id=pk)
        for ref, pk in Challenge.objects.filter(ref__in=chunk).values_list("ref", "pk"):
            found[ref] = _Source(f"C{pk}", challenge_id=pk)
    return found


def _target_ids(refs: Iterable[str]) -> dict[str, int]:
    refs = list(set(refs))
    found: dict[str, int] = {}
    for start in range(0, len(refs), BATCH):
        found.update(
            Listing.objects.filter(ref__in=refs[start : start + BATCH]).values_list("ref", "pk")
        )
    return found


def _stored(keys: Collection[str], scope: Q | None) -> list[tuple]:
    """(pk, pair, score, rank or -1, reasons as JSON text, engine version, status) of the
    stored matches of the sources `keys` (by batches of keys); or, when `scope` is given, of
    the rows it selects in one query (a superset: the caller keeps its own; cheaper than many
    IN lists when the keys are many). `pair` is the pair as one integer (see _code), worked
    out by the database."""
    code = Coalesce(F("source_listing_id") * 2, F("source_challenge_id") * 2 + 1)
    rows = Match.objects.annotate(
        pair=ExpressionWrapper(code * 2**32 + F("target_id"), output_field=BigIntegerField()),
        rank_or_none=Coalesce("rank", -1),
        reasons_text=Cast("reasons", TextField()),
    ).values_list("pk", "pair", "score", "rank_or_none", "reasons_text", "engine_version", "status")
    queries = (
        [rows.filter(scope)]
        if scope is not None
        else [rows.filter(source_key__in=batch) for batch in _batches(list(keys))]
    )
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for query in queries:
            # Raw rows: Django's per-row converters doubled the time of this read, and every
            # value here is already the type wanted (the reasons as text, the rest numbers).
            cursor.execute(*query.query.sql_with_params())
            found.extend(cursor.fetchall())
    return found


def _batches(items: list, size: int = BATCH) -> list[list]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _ref_range(refs: Sequence[str]) -> Q:
    """The stored matches of sources whose refs lie between the least and greatest of `refs`."""
    low, high = min(refs), max(refs)
    return Q(source_listing__ref__range=(low, high)) | Q(source_challenge__ref__range=(low, high))


_INSERTED = (
    "source_key",
    "source_listing",
    "source_challenge",
    "target",
    "score",
    "rank",
    "reasons",
    "engine_version",
    "computed_at",
    "first_seen_at",
    "status",
)
_UPDATED = ("score", "rank", "reasons", "engine_version", "computed_at")


@contextmanager
def _writing_matches():
    """A transaction for rewriting many matches.

    No table lock (except for a bulk load into a nearly empty table, see _bulk_load): pages
    and jobs that write one match (a person's answer, one listing's matching) must not wait
    for a rebuild, which at 100,000 listings writes for many
    seconds. So the writes allow for what changed since the read: new pairs are upserts,
    stale ones are deleted only if still untouched (see _write_matches). On SQLite the page
    cache also grows for the while from 2 to 64 MiB: the table's eight indexes outgrow the
    default, and 190,000 new rows went in 20 % faster.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            yield
            return
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


# A rebuild that inserts at least this many rows into a Match table holding fewer than a
# quarter as many loads them as a bulk load (see _bulk_load): the first rebuild after an import.
BULK_LOAD_MIN_ROWS = 50_000
# A stored score within this of the new one is left as it is (if its rank, reasons, engine
# version and strength band are the same, and the list's scores still go down with its
# ranks). A refit moves most scores by a few 1e-4 (idf and topics change with any listing):
# at 20,000 listings, after 200 edited listings, an exact comparison rewrote 152,134 of
# 191,010 matches (and moved their computed_at, which API partners sync on); with 0.001,
# about a tenth as many (benchmarks/rebuild_edits.py).
SCORE_TOLERANCE = 0.001
BULK_LOAD_LOCK_TIMEOUT_MS = 5000


@contextmanager
def _bulk_load():
    """Load many rows into a (nearly) empty Match table the way both databases advise for a
    bulk load: without the table's plain indexes, which are put back, exactly as they were,
    once the rows are in. Building an index once over 190,000 rows is several times cheaper
    than updating it 190,000 times. Unique indexes and those behind constraints stay (the
    upserts rely on the unique pair), and so do the foreign keys: dropping one would lock
    the listings table against every reader while the rows load. Call inside the writing
    transaction: everything, the dropping included, is undone if the load fails.

    PostgreSQL: dropping an index locks the Match table until the transaction ends (a few
    seconds: pages that read matches wait). The lock is only taken if it comes within
    BULK_LOAD_LOCK_TIMEOUT_MS; if not, or if anything else stops the dropping, it is undone
    (a savepoint) and the rows are loaded the ordinary way. SQLite: readers keep their
    snapshot (WAL) and see the table as it was until the commit.
    """
    table = Match._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA index_list({quote(table)})")
            plain = [name for _, name, unique, *_ in cursor.fetchall() if not unique]
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
            indexes = [(name, sql) for name, sql in cursor.fetchall() if name in plain]
            keys = []  # SQLite builds indexes whatever its deferred checks
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT i.indisunique "
                "AND NOT i.indisexclusion "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                [table],
            )
            indexes = cursor.fetchall()
            # The table's deferrable foreign keys: their checks, queued by the load until the
            # commit, are run before the indexes are built (PostgreSQL builds no index on a
            # table with checks pending), then they are deferred again as declared.
            cursor.execute(
                "SELECT conname, condeferred FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' AND condeferrable",
                [table],
            )
            keys = cursor.fetchall()
            cursor.execute("SELECT current_setting('lock_timeout')")
            (timeout_before,) = cursor.fetchone()
            try:
                with transaction.atomic():  # a savepoint: whatever fails here is undone
                    cursor.execute(f"SET LOCAL lock_timeout = {int(BULK_LOAD_LOCK_TIMEOUT_MS)}")
                    cursor.execute(f"LOCK TABLE {quote(table)} IN ACCESS EXCLUSIVE MODE")
                    for name, _ in indexes:
                        cursor.execute(f"DROP INDEX {quote(name)}")
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [timeout_before])
            except DatabaseError as exc:
                log.info("Loading the matches with the indexes in place (%s)", exc)
                yield
                return
        else:
            yield
            return
        yield
        if keys:
            names = ", ".join(quote(name) for name, _ in keys)
            cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")  # runs the queued checks
        for _, definition in indexes:
            cursor.execute(definition)
        deferred = [quote(name) for name, initially_deferred in keys if initially_deferred]
        if deferred:
            cursor.execute(f"SET CONSTRAINTS {', '.join(deferred)} DEFERRED")


def _columns(names: Iterable[str]) -> list[str]:
    fields = {f.name: f.column for f in Match._meta.concrete_fields}
    return [connection.ops.quote_name(fields[name]) for name in names]


def _insert(rows: list[tuple]) -> None:
    """Insert rows (values of _INSERTED, reasons as JSON text); a pair stored meanwhile by
    another job is updated instead (_UPDATED), keeping its first_seen_at and status.

    SQLite: one INSERT ... ON CONFLICT (source_key, target) DO UPDATE, run by executemany
    (one prepared statement, stepped in C). PostgreSQL: COPY, 3 times faster there than
    multi-row INSERTs and 10 times faster than executemany (a round trip per row); if a pair
    was stored meanwhile, the COPY fails (to a savepoint) and the rows go through a temporary
    table and the same INSERT ... ON CONFLICT instead (a third slower: not the usual way).
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(Match._meta.db_table)
    columns = ", ".join(_columns(_INSERTED))
    key = ", ".join(_columns(["source_key", "target"]))
    on_conflict = f"ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(
        f"{c} = EXCLUDED.{c}" for c in _columns(_UPDATED)
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            try:
                copying = f"COPY {table} ({columns}) FROM STDIN"
                with transaction.atomic(), cursor.cursor.copy(copying) as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            except connection.Database.IntegrityError:
                pass
            incoming = quote("matching_match_incoming")
            cursor.execute(f"DROP TABLE IF EXISTS {incoming}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {incoming} ON COMMIT DROP AS "
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY {incoming} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {incoming} {on_conflict}"
            )
            cursor.execute(f"DROP TABLE {incoming}")
            return
        values = ", ".join(["%s"] * len(_INSERTED))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({values}) {on_conflict}"
        for start in range(0, len(rows), WRITE_BATCH):
            cursor.executemany(sql, rows[start : start + WRITE_BATCH])


def _update(rows: list[tuple]) -> None:
    """Update stored rows: values of _UPDATED, then the row's id. PostgreSQL: COPY into a
    temporary table and one UPDATE ... FROM it; SQLite: executemany."""
    if not rows:
        return
    table = connection.ops.quote_name(Match._meta.db_table)
    columns = _columns(_UPDATED)
    (pk,) = _columns(["id"])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            changed = connection.ops.quote_name("matching_match_changed")
            cursor.execute(f"DROP TABLE IF EXISTS {changed}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {changed} ON COMMIT DROP AS "
                f"SELECT {', '.join(columns)}, {pk} FROM {table} WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY {changed} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            assignments = ", ".join(f"{c} = {changed}.{c}" for c in columns)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM {changed} "
                f"WHERE {table}.{pk} = {changed}.{pk}"
            )
            cursor.execute(f"DROP TABLE {changed}")
            return
        assignments = ", ".join(f"{c} = %s" for c in columns)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"
        for start in range(0, len(rows), WRITE_BATCH):
            cursor.executemany(sql, rows[start : start + WRITE_BATCH])


def _code(listing_id: int | None, challenge_id: int | None) -> int:
    """A source as one integer (listing ids even, challenge ids odd): with a target id, a pair
    is one int64 (ids below 2**30)."""
    return listing_id * 2 if listing_id is not None else challenge_id * 2 + 1


def _reasons_encoder() -> Callable[[tuple[str, ...]], str]:
    """A function from reasons to their JSON text, exactly as json.dumps(list(reasons))
    spells it. Many pairs share reasons, and far more share each reason: each is encoded
    once (json.dumps per list took 0.7 s of a rebuild at 20,000 listings). Its `many`
    attribute encodes a list of them."""
    texts: dict[tuple[str, ...], str] = {}
    words: dict[str, str] = {}

    def text_of(why: tuple[str, ...]) -> str:
        text = texts.get(why)
        if text is None:
            try:
                parts = [words[reason] for reason in why]
            except KeyError:
                for reason in why:
                    if reason not in words:
                        words[reason] = json.dumps(reason)
                parts = [words[reason] for reason in why]
            text = texts[why] = "[" + ", ".join(parts) + "]"
        return text

    def many(whys: list[tuple[str, ...]]) -> list[str]:
        """[text_of(why) for why in whys], with no call for the reasons met before."""
        found = list(map(texts.get, whys))
        for n, text in enumerate(found):
            if text is None:
                found[n] = text_of(whys[n])
        return found

    text_of.many = many
    return text_of


def _band(scores: np.ndarray) -> np.ndarray:
    """Each score's strength band (possible, good, strong) as 0, 1, 2."""
    return np.digitize(scores, [engine.GOOD, engine.STRONG])


def _keep_scores_in_rank_order(
    same: np.ndarray,
    at: np.ndarray,
    old_scores: np.ndarray,
    keys: np.ndarray,
    ranks: np.ndarray,
    scores: np.ndarray,
) -> None:
    """Mark as changed (same[k] = False) the stored rows whose kept score (within
    SCORE_TOLERANCE of the new one) would stand above the score of the row ranked just
    before it in the same list: a list's stored scores always go down with its ranks.

    `same[k]` is about the stored row whose wanted pair is `at[k]`, kept at `old_scores[k]`;
    `keys`, `ranks` and `scores` are the wanted pairs (source << 32 | target), their ranks
    and new scores. Rows not kept are written with their new scores, which follow the ranks;
    of two rows out of order, whichever was kept is written. That may expose the next pair,
    so it runs until none is left (a few rounds at most)."""
    if not same.any():
        return  # nothing kept (or no list at all)
    order = np.lexsort((ranks, keys >> 32))  # by list, then rank
    position = np.empty(len(keys), np.int64)
    position[order] = np.arange(len(keys))
    sources = (keys >> 32)[order]
    follows = np.zeros(len(keys), dtype=bool)  # the row just before is in the same list
    follows[1:] = sources[1:] == sources[:-1]
    while True:
        effective = scores[order].copy()
        effective[position[at[same]]] = old_scores[same]
        above = np.empty_like(effective)
        above[1:] = effective[:-1]
        wrong = follows.copy()
        wrong[1:] &= effective[1:] > above[1:]  # wrong[0] stays False: nothing is above it
        if not wrong.any():
            return
        bad = np.zeros(len(keys), dtype=bool)
        out = np.flatnonzero(wrong)
        bad[order[out]] = bad[order[out - 1]] = True  # either may be the kept one
        hit = same & bad[at]
        if not hit.any():
            return  # new scores only, which follow the ranks: cannot happen
        same[hit] = False


def _write_matches(
    suggestions: Iterable[engine.Suggestion] | engine.Ranked,
    sources: dict[str, _Source],
    targets: dict[str, int],
    version: str,
    *,
    scope: Q | None = None,
    bulk_load: bool = False,
) -> Written:
    """Make the stored matches of `sources` these suggestions; all-or-nothing, idempotent.

    Each source's suggestions come best first (as engine.suggest and engine.push_down give
    them): rank 1 is its first. Only what changed is written: a new pair is inserted; a
    stored pair whose rank, reasons or engine version differ, or whose score moved by more
    than SCORE_TOLERANCE or into another band (or out of its list's order), is updated
    (keeping its first_seen_at and status); an untouched pair that dropped out is deleted;
    one a person answered (interested, not relevant) is kept, without a rank. Everything
    else is left as it is, so a rebuild in which little changed writes little, and running
    it twice writes nothing the second time. `scope`, if given, selects (at least) the
    stored matches of `sources` in one query. `bulk_load`: the caller writes the whole
    table (scope Q()), so when most of the rows are new they may go in as a bulk load
    (_bulk_load).

    The comparison runs on arrays (a pair is one int64), as the rows are many: 190,000 at
    20,000 listings, where the Python version of it took about twice as long. A rebuild
    passes the suggestions as columns (engine.Ranked), not as an object per row.
    """
    code_of = {ref: _code(x.listing_id, x.challenge_id) for ref, x in sources.items()}
    source_of = {code_of[ref]: x for ref, x in sources.items()}
    if isinstance(suggestions, engine.Ranked):  # columns: codes looked up once per document
        refs = suggestions.refs
        src = np.fromiter((code_of.get(r, -1) for r in refs), np.int64, len(refs))[suggestions.src]
        tgt = np.fromiter((targets.get(r, -1) for r in refs), np.int64, len(refs))[suggestions.tgt]
        all_scores, all_reasons = suggestions.scores, suggestions.reasons
    else:
        suggestions = list(suggestions)
        src = np.fromiter((code_of.get(s.source, -1) for s in suggestions), np.int64)
        tgt = np.fromiter((targets.get(s.target, -1) for s in suggestions), np.int64)
        all_scores = [s.score for s in suggestions]
        all_reasons = [s.reasons for s in suggestions]
    n = len(src)
    by_source = np.argsort(src, kind="stable")  # keeps each source's order
    grouped = src[by_source]
    ranks = np.empty(n, np.int64)
    ranks[by_source] = np.arange(n) - np.searchsorted(grouped, grouped) + 1
    take = np.flatnonzero((src >= 0) & (tgt >= 0))
    keys, first = np.unique((src[take] << 32) | tgt[take], return_index=True)
    take = take[first]
    scores = np.array(all_scores, np.float64)[take]
    ranks = ranks[take]
    reasons = [all_reasons[i] for i in take.tolist()]
    del suggestions, all_scores, all_reasons

    written = Written()
    text_of = _reasons_encoder()

    with _writing_matches():
        now = started = timezone.now()
        if connection.vendor != "postgresql":
            now = connection.ops.adapt_datetimefield_value(now)
        rows = _stored([x.key for x in sources.values()], scope)
        stored_count = len(rows)
        found = np.zeros(len(keys), dtype=bool)
        stale: list[int] = []
        changed: list[tuple] = []
        if rows:
            pk, pair, score, rank, text, stored_version, status = zip(*rows, strict=True)
            del rows
            m = len(pk)
            pairs = np.fromiter(pair, np.int64, m)
            mine = np.isin(pairs >> 32, np.fromiter(source_of, np.int64, len(source_of)))
            at = np.minimum(np.searchsorted(keys, pairs), max(len(keys) - 1, 0))
            matched = mine & (keys[at] == pairs) if len(keys) else np.zeros(m, bool)
            answered = np.array(status, dtype=object) != Match.Status.NEW
            ranked = np.fromiter(rank, np.int64, m) >= 0
            stale = np.array(pk, np.int64)[mine & ~matched & (~answered | ranked)].tolist()
            j = np.flatnonzero(matched)  # stored rows that are wanted ...
            i = at[j]  # ... and which
            found[i] = True
            old_scores = np.array(score, np.float64)[j]
            same = (
                (np.abs(old_scores - scores[i]) <= SCORE_TOLERANCE + 1e-9)
                & (_band(old_scores) == _band(scores[i]))
                & (np.fromiter(rank, np.int64, m)[j] == ranks[i])
                & (np.array(stored_version, dtype=object)[j] == version)
            )
            _keep_scores_in_rank_order(same, i, old_scores, keys, ranks, scores)
            kept = np.flatnonzero(same)
            stored_texts = np.array(text, dtype=object)[j[kept]]
            wanted_texts = np.array(text_of.many([reasons[x] for x in i[kept].tolist()]), object)
            j, i = j.tolist(), i.tolist()
            for k in kept[stored_texts != wanted_texts].tolist():
                # Not the same JSON text: maybe the same list spelled another way (PostgreSQL).
                if tuple(json.loads(text[j[k]])) != reasons[i[k]]:
                    same[k] = False
            written.unchanged = int(same.sum())
            changed = [
                (float(scores[i[k]]), int(ranks[i[k]]), text_of(reasons[i[k]]), version, now)
                + (pk[j[k]],)
                for k in np.flatnonzero(~same).tolist()
            ]
        written.changed = len(changed)
        _update(changed)
        new = np.flatnonzero(~found)
        written.new = len(new)
        # Each row as its source's columns (one tuple per source) + its own + the shared ones.
        heads = {code: (x.key, x.listing_id, x.challenge_id) for code, x in source_of.items()}
        pairs = [
            heads[code] + (target,)
            for code, target in zip(
                (keys[new] >> 32).tolist(), (keys[new] & 0xFFFFFFFF).tolist(), strict=True
            )
        ]
        texts = text_of.many([reasons[a] for a in new.tolist()])
        tail = (version, now, now, Match.Status.NEW)
        loading = bulk_load and len(new) >= BULK_LOAD_MIN_ROWS and stored_count * 4 <= len(new)
        with _bulk_load() if loading else nullcontext():
            _insert(
                [
                    pair + (score, rank, text) + tail
                    for pair, score, rank, text in zip(
                        pairs, scores[new].tolist(), ranks[new].tolist(), texts, strict=True
                    )
                ]
            )
        del texts
        # In this transaction: the webhook deliveries commit with the matches (issue #15).
        announce_new_matches(pairs)
        for start in range(0, len(stale), BATCH):
            batch = stale[start : start + BATCH]
            written.removed += delete_untouched(Match.objects.filter(pk__in=batch))
            # computed_at moves: the moment it left the shown list, for the API's removals.
            written.unranked += Match.objects.filter(pk__in=batch, rank__isnull=False).update(
                rank=None, computed_at=started
            )
    return written


def store_suggestions(
    suggestions: list[engine.Suggestion], sources: Iterable[str], version: str
) -> int:
    """Replace the ranked suggestions of `sources` with these; idempotent. Returns the rows
    written (inserted or updated): see _write_matches for what is kept."""
    written = _write_matches(
        suggestions, _source_objects(sources), _target_ids(s.target for s in suggestions), version
    )
    return written.rows


def insert_as_target(reverse: list[engine.Suggestion], version: str) -> int:
    """Put a new or changed listing into other sources' top lists where it now belongs."""
    if not reverse:
        return 0
    objects = _source_objects({s.source for s in reverse})
    keys = {source.key: ref for ref, source in objects.items()}
    current: dict[str, list[engine.Suggestion]] = defaultdict(list)
    ranked = Match.objects.filter(source_key__in=list(keys), rank__isnull=False).values_list(
        "source_key", "target__ref", "score", "reasons"
    )
    for key, target, score, reasons in ranked:
        current[keys[key]].append(engine.Suggestion(keys[key], target, score, tuple(reasons)))
    changed_sources, suggestions = [], []
    for s in reverse:
        if s.source not in objects:
            continue
        others = [x for x in current[s.source] if x.target != s.target]
        worst = min(x.score for x in others) if len(others) >= TOP else -1.0
        if s.score <= worst:
            continue
        merged = sorted([*others, s], key=lambda x: (-x.score, x.target))
        changed_sources.append(s.source)
        suggestions.extend(merged[:TOP])
    return store_suggestions(suggestions, changed_sources, version) if changed_sources else 0


# Work rows: the to-do list ---------------------------------------------------------------


def request_matching(obj) -> MatchingWork:
    """Record that a listing or challenge needs matching; enqueue it once this commits.

    Idempotent: one pending row per object, however often it is asked for.
    """
    from config.celery import enqueue

    from .tasks import run_work_task

    kind = MatchingWork.Kind.CHALLENGE if isinstance(obj, Challenge) else MatchingWork.Kind.LISTING
    work, created = MatchingWork.objects.get_or_create(
        kind=kind, object_id=obj.pk, state=MatchingWork.State.PENDING
    )
    if created:
        enqueue(run_work_task, work.pk)
    return work


# A rebuild's work row names no object, but its object_id is 0, not NULL: NULLs never
# collide in the one-pending-row unique index, so two rebuilds asked for at the same moment
# (two beat schedulers) both got a pending row and both ran (the two-beats drill).
REBUILD_OBJECT_ID = 0


def request_rebuild() -> MatchingWork:
    """Ask for a full rebuild; idempotent while one is waiting (one pending row, at most)."""
    from config.celery import enqueue

    from .tasks import run_work_task

    work, created = MatchingWork.objects.get_or_create(
        kind=MatchingWork.Kind.REBUILD,
        object_id=REBUILD_OBJECT_ID,
        state=MatchingWork.State.PENDING,
    )
    if created:
        enqueue(run_work_task, work.pk)
    return work


# A rebuild run still marked running after this long is not taken as under way (it died).
REBUILD_UNDER_WAY = timedelta(hours=1)


def request_rebuild_unless_under_way() -> MatchingWork | None:
    """The scheduled rebuild: none if one is waiting, or started less than an hour ago and
    still running. Two schedulers sending it seconds apart then start one rebuild, not two:
    request_rebuild alone adds a second once the first is claimed. Returns the waiting (or
    claimed) work row, or None when a run is under way."""
    waiting = MatchingWork.objects.filter(
        kind=MatchingWork.Kind.REBUILD,
        state__in=[MatchingWork.State.PENDING, MatchingWork.State.RUNNING],
    ).first()
    if waiting is not None:
        return waiting
    if MatchingRun.objects.filter(
        kind=MatchingRun.Kind.REBUILD,
        status=MatchingRun.Status.RUNNING,
        started_at__gte=timezone.now() - REBUILD_UNDER_WAY,
    ).exists():
        return None
    return request_rebuild()


def claim(work_id: int) -> bool:
    """Take a work row: pending, or running with an expired lease (its worker died)."""
    now = timezone.now()
    return bool(
        MatchingWork.objects.filter(
            Q(state=MatchingWork.State.PENDING)
            | Q(state=MatchingWork.State.RUNNING, claimed_at__lt=now - LEASE),
            pk=work_id,
        ).update(state=MatchingWork.State.RUNNING, claimed_at=now, attempts=F("attempts") + 1)
    )


class ModelNotReady(Exception):
    """There is no fitted model yet and another worker is fitting the first one."""


WAITING_FOR_MODEL = "Waiting for the first matching model; the sweeper sends this job again."


def run_work(work_id: int, *, in_process: bool = False) -> str:
    """Do one work row, once. Returns what happened, for the task's log."""
    if not claim(work_id):
        return "taken or done"
    return _run_claimed(work_id, in_process=in_process)


def _run_claimed(work_id: int, *, in_process: bool) -> str:
    """Do a work row this worker has claimed, and record how it ended."""
    work = MatchingWork.objects.get(pk=work_id)
    try:
        if work.kind == MatchingWork.Kind.REBUILD:
            rebuild(in_process=in_process)
        elif work.kind == MatchingWork.Kind.LISTING:
            match_listing(work.object_id)
        else:
            match_challenge(work.object_id)
    except ModelNotReady:
        # Back to pending: the sweeper sends it again, and by then the model is there.
        MatchingWork.objects.filter(pk=work_id).update(
            state=MatchingWork.State.PENDING, last_error=WAITING_FOR_MODEL
        )
        return "waiting for the first model"
    except Exception as exc:
        MatchingWork.objects.filter(pk=work_id).update(
            state=MatchingWork.State.PENDING, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    MatchingWork.objects.filter(pk=work_id).update(
        state=MatchingWork.State.DONE, finished_at=timezone.now()
    )
    return "done"


def pending_work(limit: int = 5000) -> list[int]:
    """Rows whose message may have been lost: still pending, or claimed by a dead worker."""
    stale = timezone.now() - LEASE
    return list(
        MatchingWork.objects.filter(
            Q(state=MatchingWork.State.PENDING)
            | Q(state=MatchingWork.State.RUNNING, claimed_at__lt=stale)
        ).values_list("pk", flat=True)[:limit]
    )


# Matching one listing or challenge, without refitting -----------------------------------


def _changes_since(record: MatchModel) -> tuple[list[engine.Doc], frozenset[str]]:
    since = record.fitted_at
    changed = _listing_docs(eligible_listings().filter(updated_at__gt=since)) + _challenge_docs(
        eligible_challenges().filter(updated_at__gt=since)
    )
    removed = set(
        Listing.objects.filter(updated_at__gt=since)
        .exclude(status=Listing.Status.PUBLISHED)
        .values_list("ref", flat=True)
    ) | set(
        Challenge.objects.filter(updated_at__gt=since)
        .exclude(status=Challenge.Status.OPEN)
        .values_list("ref", flat=True)
    )
    return changed, frozenset(removed)


def _first_model() -> tuple[MatchModel, engine.Model]:
    """The current model; on a new site, the first one: fitted by this job, or by the worker
    already fitting it.

    On a new site every job finds no model. The first to claim the rebuild row fits it; the
    others wait for it (polling, up to the lease) rather than each fitting its own. If the
    fitting worker dies, its lease runs out and a waiting job takes the rebuild over; a job
    that waits longer than the lease goes back to the queue (ModelNotReady).
    """
    deadline = time.monotonic() + LEASE.total_seconds()
    while True:
        loaded = current_model()
        if loaded is not None:
            return loaded
        fitting = MatchingWork.objects.filter(
            kind=MatchingWork.Kind.REBUILD,
            state=MatchingWork.State.RUNNING,
            claimed_at__gte=timezone.now() - LEASE,
        )
        if not fitting.exists():
            # A rebuild waiting, or one whose worker died (its lease ran out), else a new one.
            waiting = MatchingWork.objects.filter(
                kind=MatchingWork.Kind.REBUILD,
                state__in=[MatchingWork.State.PENDING, MatchingWork.State.RUNNING],
            )
            work_id = waiting.order_by("pk").values_list("pk", flat=True).first()
            if work_id is None:
                work_id = request_rebuild().pk
            if claim(work_id):
                _run_claimed(work_id, in_process=True)
                continue
        if time.monotonic() > deadline:
            raise ModelNotReady
        time.sleep(FIRST_MODEL_POLL_SECONDS)


def record_match_removals(matches, reason: str) -> None:
    """Tombstones (api.models.Removal, resource "match", key the id) for `matches`, about to
    be deleted, for the API's removals list of their organisation: ONE INSERT ... SELECT,
    however many rows (a rebuild deletes thousands; a post_delete receiver on Match would
    cost a query per row and turn off Django's fast delete). A match of a challenge has no
    organisation (organisation_id NULL): it is in no member's list. Written before the
    DELETE that checks the status: a match answered in between keeps its row, and the
    removals list leaves out a tombstone whose match still exists."""
    rows = matches.order_by().values(
        resource=Value("match"),
        key=Cast("pk", CharField(max_length=64)),
        organisation_id=F("source_listing__organisation_id"),
        reason=Value(reason),
        removed_at=Value(timezone.now(), output_field=models.DateTimeField()),
    )
    sql, params = rows.query.get_compiler(rows.db).as_sql()
    table = connection.ops.quote_name(Removal._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(Removal._meta.get_field(name).column)
        for name in ("resource", "key", "organisation_id", "reason", "removed_at")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)


def delete_untouched(matches) -> int:
    """Delete those of `matches` nobody answered, in ONE statement that checks the status.

    Django's delete() first selects the rows, then deletes them by id: an answer a person
    gave in between ("Interested", committed by another request) would be deleted with its
    row. Here the rows that point at a match (notices: SET_NULL) are unlinked first, then
    the matches still new at that moment are deleted, in one DELETE ... WHERE status.
    """
    untouched = matches.filter(status=Match.Status.NEW)
    record_match_removals(untouched, reason="deleted")
    for relation in Match._meta.related_objects:
        if relation.on_delete is not models.SET_NULL:  # pragma: no cover - a new relation
            raise TypeError(f"{relation}: delete_untouched only unlinks SET_NULL relations")
        field = relation.field.name
        relation.related_model._base_manager.filter(**{f"{field}__in": untouched}).update(
            **{field: None}
        )
    return untouched._raw_delete(untouched.db)


def _match_one(obj, doc: engine.Doc | None, kind: str) -> int:
    run = MatchingRun.objects.create(kind=kind, subject=obj.ref)
    try:
        if doc is None:  # no longer eligible: drop its untouched suggestions both ways
            key = Match.key_for(obj)
            delete_untouched(Match.objects.filter(source_key=key))
            if isinstance(obj, Listing):
                delete_untouched(obj.matched_by.all())
            written = 0
        else:
            record, model = _first_model()  # the current model, or the first one
            changed, removed = _changes_since(record)
            if len(changed) > MAX_CHANGED_SINCE_FIT:
                request_rebuild()
            dismissed = dismissed_by_source([doc.ref])
            forward, reverse = engine.suggest_for(
                model,
                doc,
                changed=[d for d in changed if d.ref != doc.ref],
                removed=removed,
                top=TOP * 2 if dismissed else TOP,
                blocked=blocked_pairs(),
            )
            forward = engine.push_down(model, forward, dismissed, top=TOP)
            written = store_suggestions(forward, [doc.ref], record.version)
            written += insert_as_target(reverse, record.version)
            run.model_version = record.version
        run.sources, run.matches_written = 1, written
        run.status = MatchingRun.Status.DONE
        return written
    except ModelNotReady:
        run.status, run.error = MatchingRun.Status.DONE, WAITING_FOR_MODEL
        raise
    except Exception as exc:
        run.status, run.error = MatchingRun.Status.FAILED, f"{type(exc).__name__}: {exc}"
        raise
    finally:
        run.finished_at = timezone.now()
        run.save()


def match_listing(listing_id: int) -> int:
    """Refresh one listing's suggestions, and its place in others' lists. Idempotent."""
    listing = Listing.objects.filter(pk=listing_id).first()
    if listing is None:
        return 0
    docs = _listing_docs(eligible_listings().filter(pk=listing_id))
    return _match_one(listing, docs[0] if docs else None, MatchingRun.Kind.LISTING)


def match_challenge(challenge_id: int) -> int:
    challenge = Challenge.objects.filter(pk=challenge_id).first()
    if challenge is None:
        return 0
    docs = _challenge_docs(eligible_challenges().filter(pk=challenge_id))
    return _match_one(challenge, docs[0] if docs else None, MatchingRun.Kind.CHALLENGE)


# The full rebuild: in process, or as a map-reduce that several workers share -------------


def chunk_count(sources: int) -> int:
    """As many chunks as configured, but none smaller than MATCHING_CHUNK_MIN_SOURCES (needs
    and challenges: a chunk is a slice of the need side)."""
    return max(1, min(settings.MATCHING_CHUNKS, sources // settings.MATCHING_CHUNK_MIN_SOURCES))


@contextmanager
def _cycle_collector_paused():
    """Python's cycle collector off while a rebuild's large steps run, then as it was.

    A rebuild makes millions of small objects that live until it ends (rows read, rows to
    write, reasons): each batch of new objects set the collector off, and its full passes
    walk every object alive, those included. Reference counting still frees everything
    that is not in a cycle, and the collector's next pass takes the few cycles made
    meanwhile. Measured at 20,000 listings, a rebuild with nothing to change: reading the
    listings 0.4 -> 0.2 s, comparing the stored matches 1.0 -> 0.7 s (docs/benchmarks.md).
    Also a decorator; the process's setting is put back even if the work fails.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class _Clock:
    """Reports each step of a rebuild, with the seconds it took, to a progress callback."""

    def __init__(self, progress: Callable[[str, float], None] | None):
        self.progress = progress
        self.last = time.perf_counter()

    def done(self, step: str) -> None:
        now = time.perf_counter()
        if self.progress:
            self.progress(step, now - self.last)
        self.last = now


@_cycle_collector_paused()
def rebuild(
    *, in_process: bool = False, progress: Callable[[str, float], None] | None = None
) -> MatchingRun:
    """Refit on every eligible listing and challenge, then recompute every suggestion.

    In process (the rebuild_matches command, or a worker that needs the first model): one
    engine.suggest_columns call over every source scores each pair once for both directions,
    and only the matches that changed are written. Otherwise the work is a map-reduce shared by the
    workers: the need side is cut into chunks, one task each (run_chunk), and a last task
    (merge_rebuild) gives each offer its list from what the chunks found. `progress(step,
    seconds)` hears of each step as it ends.
    """
    clock = _Clock(progress)
    run = MatchingRun.objects.create(kind=MatchingRun.Kind.REBUILD)
    try:
        sources: dict[str, _Source] = {}
        docs = all_docs(sources)
        clock.done(f"Read {len(docs):,} listings and challenges")
        model = engine.fit(docs, current_settings())
        clock.done("Fitted the vocabulary")
        record = save_model(model, len(docs))
        clock.done("Saved the model")
        needs = sum(1 for d in docs if d.kind != "offer")
        chunks = 1 if in_process else chunk_count(needs)
        run.model_version = record.version
        run.sources = len(docs)
        run.chunks_total = chunks
        run.save(update_fields=["model_version", "sources", "chunks_total"])
        if in_process:
            blocked = blocked_pairs()
            suggestions = engine.suggest_columns(model, top=TOP, blocked=blocked)
            suggestions = push_down_dismissed(model, suggestions, blocked)
            clock.done(f"Ranked {len(suggestions):,} suggestions, both directions")
            targets = {ref: s.listing_id for ref, s in sources.items() if s.listing_id is not None}
            written = _write_matches(
                suggestions, sources, targets, record.version, scope=Q(), bulk_load=True
            )
            del suggestions
            with transaction.atomic():
                run.chunks_done = 1
                run.matches_written = written.rows
                _finish_rebuild(run)
                run.save()
            clock.done(f"Stored the changes: {written}")
            return run
        # The map chunks 0 .. chunks - 1, and the merge as one more row, claimed the same way.
        RebuildChunk.objects.bulk_create(
            [RebuildChunk(run=run, index=i) for i in range(chunks + 1)]
        )
    except Exception as exc:
        run.status, run.error = MatchingRun.Status.FAILED, f"{type(exc).__name__}: {exc}"
        run.finished_at = timezone.now()
        run.save()
        raise
    from config.celery import enqueue

    from .tasks import run_chunk_task

    for index in range(chunks):
        enqueue(run_chunk_task, run.pk, index)
    run.refresh_from_db()
    return run


class ChunkBusy(Exception):
    """Another worker holds this chunk (or the merge) and its lease has not run out: try again
    after the lease, rather than drop the message (that worker may die)."""


def _superseded(run_id: int) -> bool:
    """Whether a newer rebuild has started since this one (a chunk retried late, say): its
    older scores must not overwrite the newer run's rows. The run is then closed as failed,
    so that the sweeper stops sending its chunks."""
    newer = MatchingRun.objects.filter(
        kind=MatchingRun.Kind.REBUILD,
        pk__gt=run_id,
        status__in=[MatchingRun.Status.RUNNING, MatchingRun.Status.DONE],
    ).exclude(model_version="")
    found = newer.order_by("pk").values_list("pk", flat=True).first()
    if found is None:
        return False
    MatchingRun.objects.filter(pk=run_id, status=MatchingRun.Status.RUNNING).update(
        status=MatchingRun.Status.FAILED,
        error=f"Stopped: the newer rebuild {found} replaces it.",
        finished_at=timezone.now(),
    )
    return True


def _claim_chunk(run_id: int, index: int) -> datetime | None:
    """Take a chunk: unclaimed, or claimed by a worker whose lease ran out. Returns the claim's
    time (the lease holder's mark); None if it is done; ChunkBusy if another worker holds it."""
    now = timezone.now()
    chunk = RebuildChunk.objects.filter(run_id=run_id, index=index, done=False)
    if chunk.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE)).update(
        claimed_at=now
    ):
        return now
    if chunk.exists():
        raise ChunkBusy(f"chunk {index} of run {run_id} is held by another worker")
    return None


@contextmanager
def _renewing_lease(run_id: int, index: int, claimed_at: datetime):
    """Keep a chunk's (or the merge's) lease while it works, however long: every third of
    LEASE a thread moves `claimed_at` forward, if it is still this worker's mark. Without it,
    a chunk that ran past the lease (600 to 1,470 s at 1,000,000 listings on a busy machine)
    was sent again by the sweeper and done twice. A worker that dies stops renewing, so its
    chunk is still taken over one lease later. The thread has its own database connection,
    closed when it stops; a renewal that fails (SQLite busy, a lost connection) is tried
    again next time, on a new connection."""
    stop = threading.Event()

    def renew() -> None:
        marks = [claimed_at]  # this worker's mark; after failed tries, the ones it tried too
        try:
            while not stop.wait(LEASE.total_seconds() / 3):
                now = timezone.now()
                try:
                    moved = RebuildChunk.objects.filter(
                        run_id=run_id, index=index, done=False, claimed_at__in=marks
                    ).update(claimed_at=now)
                except DatabaseError:
                    # The update may have committed before the connection was lost.
                    log.warning("Could not renew the lease of chunk %s of run %s", index, run_id)
                    connection.close()  # a lost connection is not reused: the next try reconnects
                    marks.append(now)
                    continue
                if not moved:
                    return  # done, or taken over after all: nothing left to keep
                marks = [now]
        finally:
            connection.close()  # this thread's own

    thread = threading.Thread(target=renew, name=f"lease-{run_id}-{index}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _ids() -> tuple[dict[str, _Source], dict[str, int]]:
    """Where every listing's and challenge's matches are stored, and every listing's id (as a
    target): two queries, however many."""
    sources = {
        ref: _Source(f"L{pk}", listing_id=pk)
        for ref, pk in Listing.objects.values_list("ref", "pk")
    }
    targets = {ref: source.listing_id for ref, source in sources.items()}
    sources.update(
        (ref, _Source(f"C{pk}", challenge_id=pk))
        for ref, pk in Challenge.objects.values_list("ref", "pk")
    )
    return sources, targets


def run_chunk(run_id: int, index: int, worker: str = "") -> int:
    """The map step of a rebuild: chunk `index` of the need side, once.

    Scores the chunk's needs and challenges against every offer (each pair once), stores their
    suggestions, and keeps, for the merge, every offer's best needs among the chunk's (in the
    chunk's row, with the same transaction: a worker that dies before it commits leaves the
    chunk to be taken again when its lease runs out). The last chunk to finish sends the merge.
    Returns the rows written.
    """
    if _superseded(run_id):
        return 0
    claimed_at = _claim_chunk(run_id, index)
    if claimed_at is None:
        return 0
    with _renewing_lease(run_id, index, claimed_at):
        return _run_claimed_chunk(run_id, index, worker)


@_cycle_collector_paused()
def _run_claimed_chunk(run_id: int, index: int, worker: str) -> int:
    run = MatchingRun.objects.get(pk=run_id)
    record = MatchModel.objects.get(version=run.model_version)
    model = load_model(record)
    blocked = blocked_pairs()
    needs, candidates = engine.suggest_need_chunk(
        model, index, run.chunks_total, top=TOP, blocked=blocked
    )
    needs = push_down_dismissed(model, needs, blocked)
    refs = engine.need_chunk(model, index, run.chunks_total)
    sources, targets = _ids()
    with transaction.atomic():
        written = 0
        if refs:
            written = _write_matches(
                needs,
                {ref: sources[ref] for ref in refs if ref in sources},
                targets,
                record.version,
                scope=_ref_range(refs),
            ).rows
        RebuildChunk.objects.filter(run_id=run_id, index=index).update(
            done=True, worker=worker, candidates=candidates.dumps(), finished_at=timezone.now()
        )
        run = MatchingRun.objects.select_for_update().get(pk=run_id)
        run.chunks_done = run.chunks.filter(done=True, index__lt=run.chunks_total).count()
        run.matches_written += written
        run.save(update_fields=["chunks_done", "matches_written"])
        if run.chunks_done == run.chunks_total:
            from config.celery import enqueue

            from .tasks import merge_rebuild_task

            enqueue(merge_rebuild_task, run_id)
    return written


MERGE_SLICE = 50_000  # offers whose suggestions are made and written at once, to bound memory


def merge_rebuild(run_id: int, worker: str = "") -> int:
    """The reduce step of a rebuild, once: each offer's exact top list from the candidates
    every chunk kept, stored (only what changed); then the run is done. All-or-nothing: a
    worker that dies here leaves the merge to be taken again when its lease runs out."""
    if _superseded(run_id):
        return 0
    run = MatchingRun.objects.get(pk=run_id)
    if run.chunks.filter(done=False, index__lt=run.chunks_total).exists():
        return 0  # not every chunk is in yet; the last one sends the merge again
    claimed_at = _claim_chunk(run_id, run.chunks_total)
    if claimed_at is None:
        return 0
    with _renewing_lease(run_id, run.chunks_total, claimed_at):
        return _merge_claimed(run, worker)


@_cycle_collector_paused()
def _merge_claimed(run: MatchingRun, worker: str) -> int:
    run_id = run.pk
    record = MatchModel.objects.get(version=run.model_version)
    model = load_model(record)
    parts = run.chunks.filter(index__lt=run.chunks_total).values_list("candidates", flat=True)
    merged = engine.merge_offer_candidates(
        (engine.OfferCandidates.loads(bytes(data)) for data in parts), top=TOP
    )
    offers = engine.offer_refs(model)
    sources, targets = _ids()
    blocked = blocked_pairs()
    dismissed = dismissed_by_source()  # read once for every slice
    written = Written()
    with transaction.atomic():
        for start in range(0, len(offers), MERGE_SLICE):
            refs = offers[start : start + MERGE_SLICE]
            suggestions = engine.offer_suggestions(model, merged, slice(start, start + len(refs)))
            suggestions = push_down_dismissed(model, suggestions, blocked, dismissed)
            written += _write_matches(
                suggestions,
                {ref: sources[ref] for ref in refs if ref in sources},
                targets,
                record.version,
                scope=_ref_range(refs) & Q(source_listing__kind=Listing.Kind.OFFER),
            )
        run.chunks.update(candidates=None)  # kept only until the merge is in
        run.chunks.filter(index=run.chunks_total).update(
            done=True, worker=worker, finished_at=timezone.now()
        )
        run = MatchingRun.objects.select_for_update().get(pk=run_id)
        run.matches_written += written.rows
        _finish_rebuild(run)
        run.save()
    return written.rows


def _finish_rebuild(run: MatchingRun) -> None:
    """Drop untouched suggestions of sources that are no longer eligible (by batches: one
    delete of many rows would name them all in one statement, past SQLite's limit), and
    match again what was saved while the run ran."""
    untouched = Match.objects.filter(status=Match.Status.NEW)
    gone = list(
        untouched.filter(
            (Q(source_listing__isnull=False) & ~Q(source_listing__status=Listing.Status.PUBLISHED))
            | (
                Q(source_challenge__isnull=False)
                & ~Q(source_challenge__status=Challenge.Status.OPEN)
            )
        ).values_list("pk", flat=True)
    )
    for batch in _batches(gone):
        delete_untouched(Match.objects.filter(pk__in=batch))
    # Listings and challenges saved while the run ran were matched by their own jobs, and the
    # run may have written over that with its older model: match them again.
    changed = [
        *Listing.objects.filter(updated_at__gt=run.started_at)[:MAX_CHANGED_SINCE_FIT],
        *Challenge.objects.filter(updated_at__gt=run.started_at)[:MAX_CHANGED_SINCE_FIT],
    ]
    for obj in changed:
        request_matching(obj)
    run.status = MatchingRun.Status.DONE
    run.finished_at = timezone.now()


def unfinished_chunks(limit: int = 1000) -> list[tuple[int, int, bool]]:
    """(run, index, is the merge) of the chunks of running rebuilds whose message may have
    been lost: not claimed since the run began a lease ago, or claimed by a worker whose
    lease ran out. A merge only once all of its run's chunks are done."""
    stale = timezone.now() - LEASE
    found = []
    chunks = RebuildChunk.objects.filter(
        Q(claimed_at__isnull=True, run__started_at__lt=stale) | Q(claimed_at__lt=stale),
        run__status=MatchingRun.Status.RUNNING,
        run__kind=MatchingRun.Kind.REBUILD,
        done=False,
    ).values_list("run_id", "index", "run__chunks_total", "run__chunks_done")
    for run_id, index, total, done in chunks[:limit]:
        if index < total:
            found.append((run_id, index, False))
        elif done == total:
            found.append((run_id, index, True))
    return found


# Reading matches out ---------------------------------------------------------------------


def export_matches(top: int = TOP) -> dict:
    """Every published need and open challenge with its best offers, and every published
    offer with its best needs, in the exchange format (cluster-exchange-matches/1)."""
    rows = (
        Match.objects.filter(rank__isnull=False, rank__lte=top)
        .filter(
            Q(source_listing__status=Listing.Status.PUBLISHED)
            | Q(source_challenge__status=Challenge.Status.OPEN)
        )
        .filter(target__status=Listing.Status.PUBLISHED)
        .exclude(status=Match.Status.DISMISSED)
        .values_list(
            "source_listing__ref",
            "source_challenge__ref",
            "target__ref",
            "rank",
            "score",
            "reasons",
        )
        .order_by("source_key", "rank")
    )
    matches = []
    for listing_ref, challenge_ref, target, rank, score, reasons in rows.iterator(2000):
        matches.append(
            {
                "source": listing_ref or challenge_ref,
                "target": target,
                "rank": rank,
                "score": round(score, 4),
                "reasons": reasons,
            }
        )
    matches.sort(key=lambda m: (m["source"], m["rank"]))
    return {"format": "cluster-exchange-matches/1", "matches": matches}


def export_feedback() -> dict:
    """What people said of suggestions (interested, not relevant), for measuring the matcher."""
    rows = Match.objects.exclude(status=Match.Status.NEW).values_list(
        "source_listing__ref",
        "source_challenge__ref",
        "target__ref",
        "status",
        "score",
        "rank",
        "engine_version",
        "status_changed_at",
    )
    return {
        "format": "cluster-exchange-feedback/1",
        "feedback": [
            {
                "source": a or b,
                "target": target,
                "status": status,
                "score": score,
                "rank": rank,
                "engine_version": version,
                "changed_at": changed.isoformat() if changed else None,
            }
            for a, b, target, status, score, rank, version, changed in rows
        ],
    }


@transaction.atomic
def set_match_status(match: Match, status: str) -> Match:
    """Record a person's answer to a suggestion. "Not relevant" is never suggested again (to
    the whole organisation), and the source's list is worked out again so that offers like
    the dismissed one move down (and back up if the answer is changed: then every "not
    relevant" of the organisation for that offer is taken back)."""
    before = match.status
    match.status = status
    match.status_changed_at = timezone.now()
    match.save(update_fields=["status", "status_changed_at"])
    if Match.Status.DISMISSED in (before, status) and before != status:
        sources = [match.source_listing or match.source_challenge]
        if before == Match.Status.DISMISSED and match.source_listing is not None:
            # "Not relevant" blocks the offer for the whole organisation (blocked_pairs):
            # taking it back takes back the organisation's other "not relevant" answers for
            # the same offer too, or the offer would stay blocked (review).
            others = Match.objects.filter(
                status=Match.Status.DISMISSED,
                target_id=match.target_id,
                source_listing__organisation_id=match.source_listing.organisation_id,
            ).select_related("source_listing")
            for other in others:
                # Taken back, not answered: "interested" on one listing says nothing of
                # the others (review).
                other.status, other.status_changed_at = Match.Status.NEW, match.status_changed_at
                other.save(update_fields=["status", "status_changed_at"])
                sources.append(other.source_listing)
        for source in sources:
            if source is not None:
                request_matching(source)
    return match


# People's answers -------------------------------------------------------------------------


def current_settings() -> engine.Settings:
    """The engine settings a new fit uses: the defaults, with learned weights if in use."""
    from .models import LearnedWeights

    row = LearnedWeights.objects.in_use()
    return engine.DEFAULTS.with_signal_weights(row.weights) if row else engine.DEFAULTS


def dismissed_by_source(refs: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Source ref -> the targets it was told are not relevant (of `refs`, or of every source)."""
    # Excluding "new" first lets SQLite use the partial index match_status.
    rows = Match.objects.exclude(status=Match.Status.NEW).filter(status=Match.Status.DISMISSED)
    if refs is not None:
        refs = list(refs)
        rows = rows.filter(Q(source_listing__ref__in=refs) | Q(source_challenge__ref__in=refs))
    found: dict[str, list[str]] = defaultdict(list)
    pairs = rows.values_list("source_listing__ref", "source_challenge__ref", "target__ref")
    for listing, challenge, target in pairs.order_by("pk").iterator(2000):
        found[listing or challenge].append(target)
    return dict(found)


def push_down_dismissed(
    model: engine.Model,
    suggestions: list[engine.Suggestion] | engine.Ranked,
    blocked,
    dismissed=None,
) -> list[engine.Suggestion] | engine.Ranked:
    """The sources' lists, with offers like the ones a source dismissed moved down (and the
    list refilled from below). Sources with no dismissal keep their list as it is.
    `dismissed` (from dismissed_by_source) may be passed by a caller that pushes in slices."""
    if dismissed is None:
        dismissed = dismissed_by_source()
    if isinstance(suggestions, engine.Ranked):  # columns: made into objects only if needed
        affected = sorted(suggestions.sources() & set(dismissed))
        if not affected:
            return suggestions
        suggestions = suggestions.suggestions()
    affected = sorted({s.source for s in suggestions} & set(dismissed))
    if not affected:
        return suggestions
    wider = engine.suggest(model, affected, top=TOP * 2, blocked=blocked)
    pushed = engine.push_down(model, wider, dismissed, top=TOP)
    chosen = set(affected)
    return [s for s in suggestions if s.source not in chosen] + pushed


class _Snapshot:
    """The current model and what changed since its fit: what a preview scores against."""

    def __init__(self):
        loaded = current_model()
        self.model = None
        if loaded is not None:
            record, self.model = loaded
            self.changed, self.removed = _changes_since(record)

    def suggest_for(self, doc: engine.Doc, **options) -> tuple[list, list]:
        if self.model is None:
            return [], []
        return engine.suggest_for(
            self.model, doc, changed=self.changed, removed=self.removed, **options
        )


def preview_matches(
    doc: engine.Doc, top: int = 5, snapshot: _Snapshot | None = None
) -> list[tuple[Listing, engine.Suggestion]]:
    """Existing listings that fit a listing still being written; nothing is stored."""
    forward, _ = (snapshot or _Snapshot()).suggest_for(doc, top=top, reverse_top=0)
    listings = {
        x.ref: x
        for x in Listing.objects.published()
        .filter(ref__in=[s.target for s in forward])
        .select_related("organisation")
    }
    return [(listings[s.target], s) for s in forward if s.target in listings]


def preview_challenges(
    doc: engine.Doc, top: int = 3, snapshot: _Snapshot | None = None
) -> list[tuple[Challenge, engine.Suggestion]]:
    """Open challenges whose text a piece of writing (an enquiry) answers best; nothing stored.

    The text is scored as an offer would be, against the challenges only."""
    as_offer = dataclasses.replace(doc, kind="offer")
    _, reverse = (snapshot or _Snapshot()).suggest_for(
        as_offer, top=0, reverse_top=top, reverse_challenges_only=True
    )
    challenges = {
        x.ref: x
        for x in Challenge.objects.filter(
            status=Challenge.Status.OPEN, ref__in=[s.source for s in reverse]
        ).select_related("cluster")
    }
    return [(challenges[s.source], s) for s in reverse if s.source in challenges]


def preview_listings_and_challenges(doc: engine.Doc, listings: int = 5, challenges: int = 3):
    """Both previews of a text, against one load of the model and its changes."""
    snapshot = _Snapshot()
    return (
        preview_matches(doc, top=listings, snapshot=snapshot),
        preview_challenges(doc, top=challenges, snapshot=snapshot),
    )


# Drafts and enquiries: texts that are not (yet) listings ------------------------------------


def draft_doc(form, organisation) -> engine.Doc | None:
    """An engine document from whatever the person has typed so far in a listing form (bound
    to the request's data), or None while there is too little to match."""
    from clusters.fields import parse_id

    data = form.data
    title = (data.get("title") or "").strip()
    description = (data.get("description") or "").strip()
    if len(title) + len(description) < 12:
        return None
    field = form.fields["themes"]
    valid_ids = {str(pk) for pk in data.getlist("themes")}
    themes = frozenset(t.slug for t in field.queryset if str(t.pk) in valid_ids)
    clusters = frozenset(
        c.slug
        for c in form.fields["clusters"].queryset
        if str(c.pk) in set(data.getlist("clusters"))
    )
    kind = data.get("kind") if data.get("kind") in ("offer", "need") else "need"
    challenge = ""
    chosen = parse_id(data.get("challenge"))
    if chosen is not None and "challenge" in form.fields:
        chosen_refs = form.fields["challenge"].queryset.filter(pk=chosen)
        challenge = chosen_refs.values_list("ref", flat=True).first() or ""
    return engine.Doc(
        ref="draft",
        owner=organisation.ref,
        kind=kind,
        title=title[:200],
        text=description[:10_000],
        themes=themes,
        clusters=clusters,
        owner_kind=organisation.kind,
        partner_kind=data.get("partner_kind") or "any",
        challenge=challenge,
    )


def preview_for_draft(form, organisation) -> list[tuple[Listing, engine.Suggestion]] | None:
    """Published listings that fit a listing form's draft (None while it is too short)."""
    doc = draft_doc(form, organisation)
    return None if doc is None else preview_matches(doc)


def enquiry_doc(enquiry, text: str) -> engine.Doc:
    """An enquiry to the programme as an engine document: a need, in its own words."""
    return engine.Doc(
        ref=enquiry.reference,
        owner=f"enquiry:{enquiry.reference}",
        kind="need",
        title=enquiry.title[:200],
        text=text,
        clusters=frozenset([enquiry.cluster.slug]) if enquiry.cluster_id else frozenset(),
        owner_kind=enquiry.organisation_kind,
    )


def preview_for_enquiry(enquiry, text: str, listings: int = 5, challenges: int = 3):
    """(listings, challenges) that best fit an enquiry's text; nothing is stored."""
    return preview_listings_and_challenges(enquiry_doc(enquiry, text), listings, challenges)


# For other apps ---------------------------------------------------------------------------

GOOD = engine.GOOD  # the score from which a suggestion is "good" (see strength)
STRONG = engine.STRONG  # and "strong"


def strength(score: float) -> str:
    """A score in words: "strong", "good" or "possible"."""
    return engine.strength(score)


def challenge_suggestions(challenge, top: int = 10):
    """The offers suggested for a challenge, best first (a queryset of Match)."""
    return (
        Match.objects.visible()
        .filter(source_challenge=challenge, rank__isnull=False)
        .select_related("target__organisation")
        .prefetch_related("target__clusters")
        .order_by("rank")[:top]
    )
