"""The "funding_calls" list of cluster-exchange/1: checking, importing and exporting calls.

An optional top-level list (docs/exchange-format-funding.md): files without it import as
before, and readers that do not know it ignore it. Checking is plain data in, errors out,
in the importer's style (`funding_calls[3].deadline: ...`); writing happens inside
clusters.importer.import_exchange's transaction, so a bad call writes nothing at all.
"""

from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from clusters.exchange import (
    DESCRIPTION_MAX,
    ORGANISATION_KINDS,
    TITLE_MAX,
    Section,
    _Record,  # the importer's field reader: the same checks and messages for every list
    _unique,
)
from clusters.models import Cluster, Theme
from clusters.reference import THEME_SLUGS

from .models import FundingCall, join_kinds

NAME = "funding_calls"
STATUSES = ("open", "closed")
VALUE_POUNDS_MAX = 10**12  # a trillion pounds: anything above is a typing mistake
FIELDS = (
    "name",
    "funder",
    "link",
    "value",
    "value_pounds",
    "deadline",
    "eligible_kinds",
    "needs_consortium",
    "description",
    "status",
)
_url = URLValidator(schemes=["http", "https"])


def check(
    records: list[tuple[str, dict]], errors: list[str], clusters: Callable[[set[str]], set[str]]
) -> list[dict]:
    """Validate the funding_calls records; append each problem to `errors`, named by path."""
    checked, refs = [], []
    for path, data in records:
        r = _Record(path, data, errors)
        ref = r.ref("ref")
        refs.append((r, ref))
        link = r.text("link", max_length=500, required=True)
        if link:
            try:
                _url(link)
            except ValidationError:
                r.error("link", f"{link!r} is not a web address (http:// or https://)")
        checked.append(
            {
                "ref": ref,
                "name": r.text("name", max_length=TITLE_MAX, required=True),
                "funder": r.text("funder", max_length=TITLE_MAX, required=True),
                "link": link,
                "value": r.text("value", max_length=100),
                "value_pounds": _pounds(r),
                "deadline": _deadline(r),
                "eligible_kinds": _kinds(r),
                "themes": _themes(r),
                "clusters": r.slugs("clusters"),
                "needs_consortium": _boolean(r, "needs_consortium"),
                "description": r.text("description", max_length=DESCRIPTION_MAX),
                "status": r.choice("status", STATUSES, default="open"),
                "_record": r,
            }
        )
    _unique(refs, "ref")
    known = clusters({s for item in checked for s in item["clusters"]})
    for item in checked:
        for slug in item["clusters"]:
            if slug not in known:
                item["_record"].error("clusters", f"unknown cluster {slug!r}")
        del item["_record"]
    return checked


def _pounds(r: _Record) -> int | None:
    value = r.data.get("value_pounds")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= VALUE_POUNDS_MAX:
        r.error("value_pounds", f"{value!r} is not a whole number of pounds, 0 or more")
        return None
    return value


def _deadline(r: _Record) -> date | None:
    value = r.data.get("deadline")
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        r.error("deadline", f"{value!r} is not a date written YYYY-MM-DD, for example 2027-03-31")
        return None


def _kinds(r: _Record) -> str:
    kinds = r.slugs("eligible_kinds")
    for kind in kinds:
        if kind not in ORGANISATION_KINDS:
            r.error("eligible_kinds", f"{kind!r} is not one of {', '.join(ORGANISATION_KINDS)}")
    return join_kinds(kinds)


def _themes(r: _Record) -> list[str]:
    themes = r.slugs("themes")
    for theme in themes:
        if theme not in THEME_SLUGS:
            r.error("themes", f"unknown theme {theme!r}")
    return themes


def _boolean(r: _Record, name: str) -> bool:
    value = r.data.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        r.error(name, f"{value!r} must be true or false")
        return False
    return value


@transaction.atomic
def write(records: list[dict]) -> tuple[int, int, int]:
    """Create or update calls by ref; a call equal to its record is left alone (idempotent)."""
    created = updated = unchanged = 0
    if not records:
        return 0, 0, 0
    themes = dict(Theme.objects.values_list("slug", "pk"))
    wanted_clusters = {s for item in records for s in item["clusters"]}
    clusters = dict(Cluster.objects.filter(slug__in=wanted_clusters).values_list("slug", "pk"))
    existing = {
        call.ref: call
        for call in FundingCall.objects.filter(
            ref__in=[x["ref"] for x in records]
        ).prefetch_related("themes", "clusters")
    }
    now = timezone.now()
    today = timezone.localdate()
    for item in records:
        theme_ids = {themes[t] for t in item["themes"]}
        cluster_ids = {clusters[s] for s in item["clusters"]}
        call = existing.get(item["ref"])
        # A file may close a call, never reopen one (staff reopen with the admin's action,
        # which checks the deadline), and a call past its deadline is closed whatever the
        # file says, as the nightly task would close it (review of #13).
        if item["deadline"] < today or (
            call is not None and call.status == FundingCall.Status.CLOSED
        ):
            item = {**item, "status": FundingCall.Status.CLOSED}
        if call is None:
            call = FundingCall(ref=item["ref"])
            created += 1
        else:
            same = all(getattr(call, f) == item[f] for f in FIELDS)
            same = same and {t.pk for t in call.themes.all()} == theme_ids
            same = same and {c.pk for c in call.clusters.all()} == cluster_ids
            if same:
                unchanged += 1
                continue
            updated += 1
        was_closed = call.pk and call.status == FundingCall.Status.CLOSED
        for f in FIELDS:
            setattr(call, f, item[f])
        if call.status == FundingCall.Status.CLOSED and not was_closed:
            call.closed_at = now
        elif call.status == FundingCall.Status.OPEN:
            call.closed_at = None
        call.save()
        call.themes.set(theme_ids)
        call.clusters.set(cluster_ids)
    return created, updated, unchanged


def export() -> list[dict]:
    """Every funding call, open or closed, as records of the funding_calls list."""
    calls = FundingCall.objects.prefetch_related("themes", "clusters").order_by("ref")
    return [
        {
            "ref": call.ref,
            "name": call.name,
            "funder": call.funder,
            "link": call.link,
            "value": call.value,
            "value_pounds": call.value_pounds,
            "deadline": call.deadline.isoformat(),
            "eligible_kinds": call.kinds,
            "themes": sorted(t.slug for t in call.themes.all()),
            "clusters": sorted(c.slug for c in call.clusters.all()),
            "needs_consortium": call.needs_consortium,
            "description": call.description,
            "status": call.status,
        }
        for call in calls
    ]


SECTION = Section(name=NAME, check=check, write=write, export=export)
