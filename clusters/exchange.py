"""Reading and checking exchange files (cluster-exchange/1): plain data in, errors out.

Validation knows nothing of the database: the caller says which cluster slugs,
organisation refs and challenge refs the site already holds, through `lookup`.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from .reference import THEME_SLUGS

FORMAT = "cluster-exchange/1"
MATCHES_FORMAT = "cluster-exchange-matches/1"
LISTS = ("clusters", "challenges", "organisations", "listings")
# \Z, not $: "$" also matches before a final newline (clusters.models.REF_PATTERN).
REF_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
ORGANISATION_KINDS = ("business", "investor", "university", "public_body", "other")
LISTING_KINDS = ("offer", "need")
CHALLENGE_STATUSES = ("open", "closed")
LISTING_STATUSES = ("published", "pending")
_url = URLValidator(schemes=["http", "https"])

# Given a list name ("clusters", "organisations", "challenges") and refs the file does not
# define, return those of them that already exist in the site.
Lookup = Callable[[str, set[str]], set[str]]


@dataclass
class Checked:
    """A valid document, normalised: every record has every field, with defaults."""

    clusters: list[dict] = field(default_factory=list)
    challenges: list[dict] = field(default_factory=list)
    organisations: list[dict] = field(default_factory=list)
    listings: list[dict] = field(default_factory=list)
    # The optional lists other apps add (funding_calls), by name, as their `check` returned.
    sections: dict[str, list[dict]] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    """An optional top-level list another app adds to cluster-exchange/1 (funding_calls).

    Files without it still import, and readers that do not know it ignore it, so the
    format stays version 1. `check(records, errors, clusters)` validates the
    (path, dict) records like check_document does, appending to `errors`, where
    `clusters(slugs)` returns those of the slugs the file or the site holds; it returns
    the normalised records. `write(records)` stores them (inside the import's
    transaction, after clusters) and returns (created, updated, unchanged); `export()`
    returns the list for export_exchange.
    """

    name: str
    check: Callable[[list[tuple[str, dict]], list[str], Callable[[set[str]], set[str]]], list]
    write: Callable[[list[dict]], tuple[int, int, int]]
    export: Callable[[], list[dict]]


SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    """Called from an app's ready(): idempotent."""
    SECTIONS[section.name] = section


class ExchangeError(Exception):
    """The document is not valid; `errors` names each bad record by its path."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} error(s) in the exchange file")
        self.errors = errors


class _Record:
    """Reads one record's fields, collecting errors under its path (listings[12].themes)."""

    def __init__(self, path: str, data, errors: list[str]):
        self.path, self.data, self.errors = path, data, errors

    def error(self, name: str, message: str) -> None:
        self.errors.append(f"{self.path}.{name}: {message}" if name else f"{self.path}: {message}")

    def text(self, name: str, *, max_length: int, required: bool = False) -> str:
        value = self.data.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.error(name, "must be text")
            return ""
        value = value.strip()
        if required and not value:
            self.error(name, "is required")
        elif len(value) > max_length:
            self.error(name, f"is {len(value):,} characters long; the limit is {max_length:,}")
        elif "\x00" in value:
            self.error(name, "contains a NUL character")
        return value

    def ref(self, name: str) -> str:
        value = self.data.get(name)
        if not isinstance(value, str) or not REF_RE.match(value):
            self.error(
                name,
                f"{value!r} is not a valid reference: use 1 to 64 letters, digits, "
                "dots, hyphens or underscores",
            )
            return ""
        return value

    def choice(self, name: str, choices: Iterable[str], default: str | None = None) -> str:
        value = self.data.get(name, default)
        if value is None:
            value = default
        if value not in choices:
            self.error(name, f"{value!r} is not one of {', '.join(choices)}")
            return ""
        return value

    def slugs(self, name: str) -> list[str]:
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(name, "must be a list of text values")
            return []
        return list(dict.fromkeys(value))  # drop repeats, keep order


def _records(doc: dict, name: str, errors: list[str]) -> list[tuple[str, dict]]:
    items = doc.get(name, [])
    if items is None:
        return []
    if not isinstance(items, list):
        errors.append(f"{name}: must be a list")
        return []
    out = []
    for i, item in enumerate(items):
        path = f"{name}[{i}]"
        if isinstance(item, dict):
            out.append((path, item))
        else:
            errors.append(f"{path}: must be an object with named fields")
    return out


def _unique(records: list[tuple[_Record, str]], key: str) -> None:
    seen: dict[str, str] = {}
    for record, value in records:
        if not value:
            continue
        if value in seen:
            record.error(key, f"duplicate {key} {value!r} (also at {seen[value]})")
        else:
            seen[value] = record.path


def check_document(doc, lookup: Lookup) -> Checked:
    """Validate a parsed exchange document; all-or-nothing.

    Returns the normalised records, or raises ExchangeError naming every bad record.
    """
    errors: list[str] = []
    if not isinstance(doc, dict):
        raise ExchangeError(['the file must hold one JSON object with a "format" field'])
    if doc.get("format") != FORMAT:
        raise ExchangeError([f"format: must be {FORMAT!r}, found {doc.get('format')!r}"])
    result = Checked()

    refs: dict[str, list[tuple[_Record, str]]] = {name: [] for name in LISTS}
    raw = {name: [_Record(p, d, errors) for p, d in _records(doc, name, errors)] for name in LISTS}

    for r in raw["clusters"]:
        slug = r.ref("slug")
        refs["clusters"].append((r, slug))
        emissions = r.data.get("emissions_mtco2")
        if emissions is not None:
            try:
                if isinstance(emissions, bool):
                    raise InvalidOperation
                emissions = Decimal(str(emissions))
                if not emissions.is_finite() or emissions < 0 or emissions >= 100_000:
                    raise InvalidOperation
                emissions = emissions.quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                r.error("emissions_mtco2", "must be a number of MtCO2 a year, 0 or more")
                emissions = None
        result.clusters.append(
            {
                "slug": slug,
                "name": r.text("name", max_length=100, required=True),
                "region": r.text("region", max_length=100),
                "emissions_mtco2": emissions,
                "summary": r.text("summary", max_length=DESCRIPTION_MAX),
            }
        )

    for r in raw["challenges"]:
        ref = r.ref("ref")
        refs["challenges"].append((r, ref))
        result.challenges.append(
            {
                "ref": ref,
                "cluster": r.data.get("cluster"),
                "title": r.text("title", max_length=TITLE_MAX, required=True),
                "description": r.text("description", max_length=DESCRIPTION_MAX),
                "themes": r.slugs("themes"),
                "status": r.choice("status", CHALLENGE_STATUSES, default="open"),
                "_record": r,
            }
        )

    for r in raw["organisations"]:
        ref = r.ref("ref")
        refs["organisations"].append((r, ref))
        website = r.text("website", max_length=500)
        if website:
            try:
                _url(website)
            except ValidationError:
                r.error("website", f"{website!r} is not a web address (http:// or https://)")
        result.organisations.append(
            {
                "ref": ref,
                "name": r.text("name", max_length=TITLE_MAX, required=True),
                "kind": r.choice("kind", ORGANISATION_KINDS),
                "description": r.text("description", max_length=DESCRIPTION_MAX),
                "website": website,
                "clusters": r.slugs("clusters"),
                "_record": r,
            }
        )

    for r in raw["listings"]:
        ref = r.ref("ref")
        refs["listings"].append((r, ref))
        challenge = r.data.get("challenge")
        result.listings.append(
            {
                "ref": ref,
                "organisation": r.data.get("organisation"),
                "kind": r.choice("kind", LISTING_KINDS),
                "title": r.text("title", max_length=TITLE_MAX, required=True),
                "description": r.text("description", max_length=DESCRIPTION_MAX),
                "themes": r.slugs("themes"),
                "clusters": r.slugs("clusters"),
                "challenge": challenge if challenge not in (None, "") else None,
                "status": r.choice("status", LISTING_STATUSES, default="published"),
                "_record": r,
            }
        )

    key_name = {"clusters": "slug"}
    for name in LISTS:
        _unique(refs[name], key_name.get(name, "ref"))

    known_references = _check_references(result, refs, lookup)
    cluster_slugs = {v for _, v in refs["clusters"] if v}

    def clusters_known(slugs: set[str]) -> set[str]:
        wanted = {s for s in slugs if isinstance(s, str) and REF_RE.match(s)}
        known = (cluster_slugs | known_references) & wanted
        return known | lookup("clusters", wanted - known)

    for section in SECTIONS.values():
        result.sections[section.name] = section.check(
            _records(doc, section.name, errors), errors, clusters_known
        )
    if errors:
        raise ExchangeError(errors)
    for name in ("challenges", "organisations", "listings"):
        for item in getattr(result, name):
            del item["_record"]
    return result


def _check_references(result: Checked, refs, lookup: Lookup) -> set[str]:
    """Every cluster, organisation, challenge and theme named must exist, here or in the site.

    Returns the cluster slugs found in the site (so that other sections need not ask again).
    """
    in_file = {name: {v for _, v in refs[name] if v} for name in LISTS}
    wanted: dict[str, set[str]] = {"clusters": set(), "organisations": set(), "challenges": set()}
    for item in result.challenges:
        wanted["clusters"].add(str(item["cluster"]))
    for item in result.organisations:
        wanted["clusters"].update(item["clusters"])
    for item in result.listings:
        wanted["clusters"].update(item["clusters"])
        wanted["organisations"].add(str(item["organisation"]))
        if item["challenge"] is not None:
            wanted["challenges"].add(str(item["challenge"]))
    known = {
        name: in_file[name] | lookup(name, {v for v in values - in_file[name] if REF_RE.match(v)})
        for name, values in wanted.items()
    }

    def check(record: _Record, name: str, value, what: str, list_name: str) -> None:
        if not isinstance(value, str) or value not in known[list_name]:
            record.error(name, f"unknown {what} {value!r}")

    def check_themes(record: _Record, themes: list[str]) -> None:
        for theme in themes:
            if theme not in THEME_SLUGS:
                record.error("themes", f"unknown theme {theme!r}")

    for item in result.challenges:
        check(item["_record"], "cluster", item["cluster"], "cluster", "clusters")
        check_themes(item["_record"], item["themes"])
    for item in result.organisations:
        for slug in item["clusters"]:
            check(item["_record"], "clusters", slug, "cluster", "clusters")
    for item in result.listings:
        check(
            item["_record"], "organisation", item["organisation"], "organisation", "organisations"
        )
        check_themes(item["_record"], item["themes"])
        for slug in item["clusters"]:
            check(item["_record"], "clusters", slug, "cluster", "clusters")
        if item["challenge"] is not None:
            check(item["_record"], "challenge", item["challenge"], "challenge", "challenges")
    return known["clusters"]
