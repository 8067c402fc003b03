"""Funding calls in the exchange format: the optional "funding_calls" list of
cluster-exchange/1 (docs/exchange-format-funding.md). Old files still import; a bad call
names itself and the whole file writes nothing; export and import round-trip."""

import copy
import json
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from clusters.exchange import ExchangeError
from clusters.importer import export_exchange, import_exchange
from clusters.models import Listing
from funding.models import FundingCall
from tests.funding.factories import FundingCallFactory

pytestmark = pytest.mark.django_db

CALL = {
    "ref": "FC-0001",
    "name": "Industrial heat recovery competition",
    "funder": "Innovate UK",
    "link": "https://example.org/heat",
    "value": "up to £2m",
    "value_pounds": 2000000,
    "deadline": "2030-03-31",
    "eligible_kinds": ["university", "business"],
    "themes": ["energy-efficiency"],
    "clusters": ["humber", "new-cluster-in-file"],
    "needs_consortium": True,
    "description": "Bids from a business and a university.",
    "status": "open",
}


@pytest.fixture
def doc(exchange_doc):
    exchange_doc["clusters"].append({"slug": "new-cluster-in-file", "name": "New"})
    exchange_doc["funding_calls"] = [copy.deepcopy(CALL)]
    return exchange_doc


def errors_of(doc) -> list[str]:
    with pytest.raises(ExchangeError) as caught:
        import_exchange(doc)
    return caught.value.errors


def test_a_file_without_funding_calls_still_imports(exchange_doc):
    assert "funding_calls" not in exchange_doc
    result = import_exchange(exchange_doc)
    assert result.created["listings"] == 3
    assert FundingCall.objects.count() == 0


def test_funding_calls_import_with_every_field(doc):
    result = import_exchange(doc)
    assert result.created["funding_calls"] == 1
    call = FundingCall.objects.get(ref="FC-0001")
    assert call.name == "Industrial heat recovery competition"
    assert call.value_pounds == 2_000_000
    assert call.deadline == date(2030, 3, 31)
    assert call.eligible_kinds == "business,university"  # stored in the order of the choices
    assert call.needs_consortium and call.status == "open"
    assert sorted(call.clusters.values_list("slug", flat=True)) == ["humber", "new-cluster-in-file"]
    assert list(call.themes.values_list("slug", flat=True)) == ["energy-efficiency"]


def test_importing_twice_changes_nothing_and_a_change_updates_in_place(doc):
    import_exchange(doc)
    before = FundingCall.objects.get().updated_at
    again = import_exchange(doc)
    assert again.unchanged["funding_calls"] == 1 and again.updated["funding_calls"] == 0
    assert FundingCall.objects.get().updated_at == before
    doc["funding_calls"][0]["status"] = "closed"
    doc["funding_calls"][0]["themes"] = ["hydrogen"]
    changed = import_exchange(doc)
    assert changed.updated["funding_calls"] == 1
    call = FundingCall.objects.get()
    assert call.status == "closed" and call.closed_at is not None
    assert list(call.themes.values_list("slug", flat=True)) == ["hydrogen"]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("ref", "has spaces", "funding_calls[0].ref: 'has spaces' is not a valid reference"),
        ("name", "", "funding_calls[0].name: is required"),
        ("funder", None, "funding_calls[0].funder: is required"),
        ("link", "ftp://example.org", "funding_calls[0].link: 'ftp://example.org' is not a web"),
        ("value", 5, "funding_calls[0].value: must be text"),
        ("value_pounds", -1, "funding_calls[0].value_pounds: -1 is not a whole number"),
        ("value_pounds", "2m", "funding_calls[0].value_pounds: '2m' is not a whole number"),
        ("value_pounds", True, "funding_calls[0].value_pounds: True is not a whole number"),
        ("deadline", "31/03/2030", "funding_calls[0].deadline: '31/03/2030' is not a date"),
        ("deadline", "2030-02-30", "funding_calls[0].deadline: '2030-02-30' is not a date"),
        ("deadline", None, "funding_calls[0].deadline: None is not a date"),
        ("eligible_kinds", ["pirate"], "funding_calls[0].eligible_kinds: 'pirate' is not one"),
        ("eligible_kinds", "business", "funding_calls[0].eligible_kinds: must be a list"),
        ("themes", ["nuclear"], "funding_calls[0].themes: unknown theme 'nuclear'"),
        ("clusters", ["atlantis"], "funding_calls[0].clusters: unknown cluster 'atlantis'"),
        ("needs_consortium", "yes", "funding_calls[0].needs_consortium: 'yes' must be true"),
        ("description", "x" * 10_001, "funding_calls[0].description: is 10,001 characters"),
        ("status", "pending", "funding_calls[0].status: 'pending' is not one of open, closed"),
    ],
)
def test_each_bad_field_names_the_record_and_nothing_is_written(doc, field, value, error):
    doc["funding_calls"][0][field] = value
    errors = errors_of(doc)
    assert any(e.startswith(error) for e in errors), errors
    assert FundingCall.objects.count() == 0
    assert Listing.objects.count() == 0  # the rest of the file is not written either


def test_a_duplicate_ref_and_a_record_that_is_not_an_object_are_named(doc):
    doc["funding_calls"].append(copy.deepcopy(CALL))
    doc["funding_calls"].append("not a call")
    errors = errors_of(doc)
    assert "funding_calls[1].ref: duplicate ref 'FC-0001' (also at funding_calls[0])" in errors
    assert "funding_calls[2]: must be an object with named fields" in errors


def test_funding_calls_must_be_a_list(doc):
    doc["funding_calls"] = {"ref": "FC-1"}
    assert errors_of(doc) == ["funding_calls: must be a list"]


def test_a_call_may_name_a_cluster_already_in_the_site(exchange_doc):
    exchange_doc["funding_calls"] = [{**CALL, "clusters": ["teesside"]}]
    import_exchange(exchange_doc)
    assert list(FundingCall.objects.get().clusters.values_list("slug", flat=True)) == ["teesside"]


def test_optional_fields_take_their_defaults(exchange_doc):
    exchange_doc["funding_calls"] = [
        {k: CALL[k] for k in ("ref", "name", "funder", "link", "deadline")}
    ]
    import_exchange(exchange_doc)
    call = FundingCall.objects.get()
    assert (call.value, call.value_pounds, call.eligible_kinds) == ("", None, "")
    assert not call.needs_consortium and call.status == "open"
    assert not call.themes.exists() and not call.clusters.exists()


def test_export_then_import_into_an_empty_site_gives_the_same_export(doc):
    import_exchange(doc)
    FundingCallFactory(ref="FC-closed", status="closed", themes=["ccus"], value_pounds=None)
    exported = export_exchange()
    assert [c["ref"] for c in exported["funding_calls"]] == ["FC-0001", "FC-closed"]
    FundingCall.objects.all().delete()
    import_exchange(json.loads(json.dumps(exported)))
    assert export_exchange() == exported


def test_the_command_reports_calls_and_refuses_a_bad_file(tmp_path, doc, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc))
    call_command("import_exchange", str(good))
    assert "funding_calls: 1 added, 0 updated, 0 unchanged" in capsys.readouterr().out
    doc["funding_calls"][0]["deadline"] = "soon"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(CommandError):
        call_command("import_exchange", str(bad))
    assert "funding_calls[0].deadline" in capsys.readouterr().err


def test_a_file_never_reopens_a_call_staff_closed_and_never_opens_one_past_its_deadline(doc):
    import_exchange(doc)
    call = FundingCall.objects.get(ref="FC-0001")
    FundingCall.objects.filter(pk=call.pk).update(status=FundingCall.Status.CLOSED)
    doc["funding_calls"][0]["description"] = "Changed in the file, still says open."
    import_exchange(doc)
    call.refresh_from_db()
    assert call.status == FundingCall.Status.CLOSED  # reopening is the admin's action
    assert call.description == "Changed in the file, still says open."

    past = dict(CALL, ref="FC-PAST", deadline="2020-01-01", status="open")
    doc["funding_calls"].append(past)
    import_exchange(doc)
    assert FundingCall.objects.get(ref="FC-PAST").status == FundingCall.Status.CLOSED


def test_a_reference_with_a_newline_at_its_end_is_refused(doc):
    doc["funding_calls"][0]["ref"] = "FC-0001\n"
    doc["challenges"][0]["ref"] = "ch-humber-capture\n"
    errors = errors_of(doc)
    assert any("funding_calls[0].ref" in e for e in errors)
    assert any("challenges[0].ref" in e for e in errors)
    assert not FundingCall.objects.exists()
