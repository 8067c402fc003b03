"""Importing and exporting exchange files (cluster-exchange/1): all or nothing, idempotent."""

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from pagecache import services as pagecache

from .exchange import FORMAT, SECTIONS, ExchangeError, check_document
from .models import Challenge, Cluster, Listing, Organisation, Theme
from .search import search_document

BATCH = 900  # below SQLite's oldest limit on query parameters
MODELS = {
    "clusters": Cluster,
    "challenges": Challenge,
    "organisations": Organisation,
    "listings": Listing,
}


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # In the file, but changed on the site since (by a cluster team or staff): left alone.
    kept: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Challenges and listings created or changed: the matcher's work list (issue #4).
    changed_challenges: list[int] = field(default_factory=list)
    changed_listings: list[int] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        for name in [*MODELS, *(n for n in SECTIONS if n in self.created or n in self.updated)]:
            line = (
                f"{name}: {self.created[name]} added, {self.updated[name]} updated, "
                f"{self.unchanged[name]} unchanged"
            )
            if self.kept[name]:
                line += (
                    f", {self.kept[name]} left as they are (changed on the site by their "
                    "cluster team or staff since)"
                )
            parts.append(line)
        return "\n".join(parts)


def _chunks(items: list, size: int = BATCH) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_refs(list_name: str, refs: set[str]) -> set[str]:
    model = MODELS[list_name]
    key = "slug" if model is Cluster else "ref"
    found: set[str] = set()
    for chunk in _chunks(sorted(refs)):
        found.update(model.objects.filter(**{f"{key}__in": chunk}).values_list(key, flat=True))
    return found


def _changed_on_site(refs: set[str]) -> set[str]:
    """The challenges among `refs` that a cluster team or staff changed on the site."""
    found: set[str] = set()
    for chunk in _chunks(sorted(refs)):
        found.update(
            Challenge.objects.filter(ref__in=chunk)
            .filter(Q(last_reviewed_at__isnull=False) | ~Q(set_by=""))
            .values_list("ref", flat=True)
        )
    return found


def read_exchange_file(path: str | Path):
    """Parse an exchange file; raise ExchangeError with a readable reason if it is not JSON."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise ExchangeError([f"{path}: no such file"]) from None
    except UnicodeDecodeError as exc:
        raise ExchangeError(
            [f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]
        ) from None
    except json.JSONDecodeError as exc:
        raise ExchangeError(
            [f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]
        ) from None


@transaction.atomic
def import_exchange(doc) -> ImportResult:
    """Load or update the records of a parsed exchange document.

    All-or-nothing: any invalid record raises ExchangeError and nothing is written.
    Idempotent: records are matched by ref (slug for clusters) and only real changes are
    written, so importing the same file twice leaves the database as it was.
    """
    checked = check_document(doc, _existing_refs)
    result = ImportResult()
    themes = dict(Theme.objects.values_list("slug", "pk"))

    cluster_ids = _upsert(
        Cluster,
        "slug",
        {
            c["slug"]: {k: c[k] for k in ("name", "region", "emissions_mtco2", "summary")}
            for c in checked.clusters
        },
        {},
        result,
        "clusters",
    )
    cluster_ids = _ids(Cluster, "slug", _referenced_clusters(checked), cluster_ids)

    # A challenge its cluster team or staff changed on the site (it has a review date, or
    # was posted by a team) is theirs now: the import leaves it exactly as it is.
    on_site = _changed_on_site({c["ref"] for c in checked.challenges})
    from_file = [c for c in checked.challenges if c["ref"] not in on_site]
    result.kept["challenges"] = len(checked.challenges) - len(from_file)
    challenge_ids = _upsert(
        Challenge,
        "ref",
        {
            c["ref"]: {
                "cluster_id": cluster_ids[c["cluster"]],
                "title": c["title"],
                "description": c["description"],
                "status": c["status"],
                "search_document": search_document(c["title"], c["description"]),
            }
            for c in from_file
        },
        {"themes": {c["ref"]: {themes[t] for t in c["themes"]} for c in from_file}},
        result,
        "challenges",
    )
    challenge_ids = _ids(Challenge, "ref", on_site, challenge_ids)
    result.changed_challenges = list(challenge_ids.changed)

    organisation_ids = _upsert(
        Organisation,
        "ref",
        {
            o["ref"]: {k: o[k] for k in ("name", "kind", "description", "website")}
            for o in checked.organisations
        },
        {
            "clusters": {
                o["ref"]: {cluster_ids[s] for s in o["clusters"]} for o in checked.organisations
            }
        },
        result,
        "organisations",
        create_defaults={"status": Organisation.Status.APPROVED},
    )
    organisation_ids = _ids(
        Organisation, "ref", {x["organisation"] for x in checked.listings}, organisation_ids
    )
    challenge_ids = _ids(
        Challenge,
        "ref",
        {x["challenge"] for x in checked.listings if x["challenge"]},
        challenge_ids,
    )

    # A listing staff took down stays down whatever a file says (an old export, a partner's
    # spreadsheet): only staff restore it, through clusters.services.restore_listing.
    taken_down = set(
        Listing.objects.filter(
            ref__in=[x["ref"] for x in checked.listings], status=Listing.Status.TAKEN_DOWN
        ).values_list("ref", flat=True)
    )
    listing_ids = _upsert(
        Listing,
        "ref",
        {
            x["ref"]: {
                "organisation_id": organisation_ids[x["organisation"]],
                "kind": x["kind"],
                "title": x["title"],
                "description": x["description"],
                "challenge_id": challenge_ids[x["challenge"]] if x["challenge"] else None,
                "status": Listing.Status.TAKEN_DOWN if x["ref"] in taken_down else x["status"],
                "search_document": search_document(x["title"], x["description"]),
            }
            for x in checked.listings
        },
        {
            "themes": {x["ref"]: {themes[t] for t in x["themes"]} for x in checked.listings},
            "clusters": {
                x["ref"]: {cluster_ids[s] for s in x["clusters"]} for x in checked.listings
            },
        },
        result,
        "listings",
    )
    result.changed_listings = list(listing_ids.changed)
    for name, section in SECTIONS.items():
        created, updated, unchanged = section.write(checked.sections[name])
        result.created[name] += created
        result.updated[name] += updated
        result.unchanged[name] += unchanged
    if any(result.created.values()) or any(result.updated.values()):
        # bulk_create/bulk_update send no signals: retire the cached public pages by hand.
        pagecache.bump()
    _queue_matching(result)
    return result


# Past this many changed records, one full rebuild is cheaper than one job per record.
MATCH_EACH_UP_TO = 1000


def _queue_matching(result: ImportResult) -> None:
    """Imported listings and challenges are matched like ones entered through the site."""
    from matching.services import request_matching, request_rebuild

    changed = len(result.changed_listings) + len(result.changed_challenges)
    if changed > MATCH_EACH_UP_TO:
        request_rebuild()
        return
    for pk in result.changed_challenges:
        request_matching(Challenge(pk=pk))
    for pk in result.changed_listings:
        request_matching(Listing(pk=pk))


class _IdMap(dict):
    """ref -> primary key, remembering which rows this import created or changed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.changed: set[int] = set()


def _referenced_clusters(checked) -> set[str]:
    wanted: set[str] = set()
    for c in checked.challenges:
        wanted.add(c["cluster"])
    for item in (*checked.organisations, *checked.listings):
        wanted.update(item["clusters"])
    return wanted


def _ids(model: type[Model], key: str, wanted: Iterable[str], known: _IdMap) -> _IdMap:
    """Add to `known` the primary keys of the rows already in the site that are referred to."""
    missing = sorted(set(wanted) - set(known))
    for chunk in _chunks(missing):
        known.update(model.objects.filter(**{f"{key}__in": chunk}).values_list(key, "pk"))
    return known


def _upsert(
    model: type[Model],
    key: str,
    rows: dict[str, dict],
    relations: dict[str, dict[str, set[int]]],
    result: ImportResult,
    list_name: str,
    create_defaults: dict | None = None,
) -> _IdMap:
    """Create new rows, update changed ones, leave equal ones alone; then the same for M2M."""
    fields = list(next(iter(rows.values())).keys()) if rows else []
    ids = _IdMap()
    existing: dict[str, dict] = {}
    for chunk in _chunks(list(rows)):
        for row in model.objects.filter(**{f"{key}__in": chunk}).values("pk", key, *fields):
            existing[row[key]] = row

    current_links: dict[str, dict[int, set[int]]] = {}
    existing_pks = [row["pk"] for row in existing.values()]
    for name in relations:
        through = getattr(model, name).through
        source, target = _through_columns(model, name)
        links: dict[int, set[int]] = defaultdict(set)
        for chunk in _chunks(existing_pks):
            for a, b in through.objects.filter(**{f"{source}__in": chunk}).values_list(
                source, target
            ):
                links[a].add(b)
        current_links[name] = links

    now = timezone.now()
    to_create, to_update = [], []
    for ref, values in rows.items():
        row = existing.get(ref)
        if row is None:
            to_create.append(model(**{key: ref}, **values, **(create_defaults or {})))
            continue
        ids[ref] = row["pk"]
        fields_changed = any(row[f] != v for f, v in values.items())
        links_changed = any(
            current_links[name].get(row["pk"], set()) != wanted[ref]
            for name, wanted in relations.items()
        )
        if fields_changed or links_changed:
            to_update.append(model(pk=row["pk"], **{key: ref}, **values, updated_at=now))
            ids.changed.add(row["pk"])
            result.updated[list_name] += 1
        else:
            result.unchanged[list_name] += 1

    for chunk in _chunks(to_create, 1000):
        for obj in model.objects.bulk_create(chunk):
            ids[getattr(obj, key)] = obj.pk
            ids.changed.add(obj.pk)
    result.created[list_name] += len(to_create)
    if to_update:
        model.objects.bulk_update(to_update, [*fields, "updated_at"], batch_size=500)

    for name, wanted in relations.items():
        through = getattr(model, name).through
        source, target = _through_columns(model, name)
        differs = [ref for ref in rows if current_links[name].get(ids[ref], set()) != wanted[ref]]
        stale = [ids[ref] for ref in differs if ids[ref] in current_links[name]]
        for chunk in _chunks(stale):
            through.objects.filter(**{f"{source}__in": chunk}).delete()
        new_links = [
            through(**{source: ids[ref], target: other}) for ref in differs for other in wanted[ref]
        ]
        through.objects.bulk_create(new_links, batch_size=2000)
    return ids


def _through_columns(model: type[Model], name: str) -> tuple[str, str]:
    m2m = model._meta.get_field(name)
    return m2m.m2m_column_name(), m2m.m2m_reverse_name()


def export_exchange() -> dict:
    """Every cluster, challenge, organisation and published or pending listing, as a document.

    Drafts and withdrawn listings are left out: the format has no status for them.
    """
    doc = {"format": FORMAT, "clusters": [], "challenges": [], "organisations": [], "listings": []}
    for c in Cluster.objects.order_by("slug"):
        doc["clusters"].append(
            {
                "slug": c.slug,
                "name": c.name,
                "region": c.region,
                "emissions_mtco2": float(c.emissions_mtco2)
                if c.emissions_mtco2 is not None
                else None,
                "summary": c.summary,
            }
        )
    for ch in (
        Challenge.objects.select_related("cluster").prefetch_related("themes").order_by("ref")
    ):
        doc["challenges"].append(
            {
                "ref": ch.ref,
                "cluster": ch.cluster.slug,
                "title": ch.title,
                "description": ch.description,
                "themes": sorted(t.slug for t in ch.themes.all()),
                "status": ch.status,
            }
        )
    for o in Organisation.objects.prefetch_related("clusters").order_by("ref"):
        doc["organisations"].append(
            {
                "ref": o.ref,
                "name": o.name,
                "kind": o.kind,
                "description": o.description,
                "clusters": sorted(c.slug for c in o.clusters.all()),
                "website": o.website,
            }
        )
    listings = (
        Listing.objects.filter(status__in=[Listing.Status.PUBLISHED, Listing.Status.PENDING])
        .select_related("organisation", "challenge")
        .prefetch_related("themes", "clusters")
        .order_by("ref")
    )
    doc["listings"] = [listing_record(x) for x in listings.iterator(chunk_size=2000)]
    for name, section in SECTIONS.items():
        doc[name] = section.export()
    return doc


def listing_record(x: Listing) -> dict:
    """A listing in the exchange format (prefetch themes and clusters, select challenge)."""
    return {
        "ref": x.ref,
        "organisation": x.organisation.ref,
        "kind": x.kind,
        "title": x.title,
        "description": x.description,
        "themes": sorted(t.slug for t in x.themes.all()),
        "clusters": sorted(c.slug for c in x.clusters.all()),
        "challenge": x.challenge.ref if x.challenge else None,
        "status": x.status,
    }
