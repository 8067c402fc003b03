"""import_exchange: valid files load, re-imports change nothing, bad files change nothing."""

import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from clusters.exchange import ExchangeError
from clusters.importer import export_exchange, import_exchange
from clusters.models import Challenge, Cluster, Listing, Organisation

pytestmark = pytest.mark.django_db


def snapshot():
    """Everything an import can write, including timestamps, in a comparable form."""
    return {
        "clusters": list(Cluster.objects.order_by("slug").values()),
        "challenges": list(Challenge.objects.order_by("ref").values()),
        "challenge_themes": sorted(Challenge.themes.through.objects.values_list()),
        "organisations": list(Organisation.objects.order_by("ref").values()),
        "organisation_clusters": sorted(Organisation.clusters.through.objects.values_list()),
        "listings": list(Listing.objects.order_by("ref").values()),
        "listing_themes": sorted(Listing.themes.through.objects.values_list()),
        "listing_clusters": sorted(Listing.clusters.through.objects.values_list()),
    }


def test_valid_document_creates_every_record(exchange_doc):
    result = import_exchange(exchange_doc)

    assert result.created["challenges"] == 2
    assert result.created["organisations"] == 2
    assert result.created["listings"] == 3
    offer = Listing.objects.get(ref="L-0001")
    assert offer.organisation.name == "Amine Works Ltd"
    assert offer.kind == "offer"
    assert offer.challenge.ref == "ch-humber-capture"
    assert list(offer.themes.values_list("slug", flat=True)) == ["ccus"]
    assert list(offer.clusters.values_list("slug", flat=True)) == ["humber"]
    assert Listing.objects.get(ref="L-0002").status == "published"  # the default
    assert Listing.objects.get(ref="L-0003").status == "pending"
    assert Challenge.objects.get(ref="ch-teesside-heat").status == "open"
    humber = Cluster.objects.get(slug="humber")
    assert humber.summary.startswith("Refineries")
    assert humber.emissions_mtco2 == Decimal("12.4")


def test_importing_the_same_file_twice_leaves_the_same_database(exchange_doc):
    import_exchange(exchange_doc)
    before = snapshot()

    result = import_exchange(exchange_doc)

    assert snapshot() == before
    assert sum(result.created.values()) == 0
    assert sum(result.updated.values()) == 0
    assert result.unchanged["listings"] == 3


def test_a_changed_record_is_updated_in_place(exchange_doc):
    import_exchange(exchange_doc)
    pk = Listing.objects.get(ref="L-0001").pk
    exchange_doc["listings"][0]["title"] = "Containerised amine capture"
    exchange_doc["listings"][0]["themes"] = ["ccus", "infrastructure"]
    exchange_doc["listings"][0]["challenge"] = None

    result = import_exchange(exchange_doc)

    listing = Listing.objects.get(ref="L-0001")
    assert listing.pk == pk
    assert listing.title == "Containerised amine capture"
    assert set(listing.themes.values_list("slug", flat=True)) == {"ccus", "infrastructure"}
    assert listing.challenge is None
    assert "containeris" in listing.search_document
    assert result.updated["listings"] == 1
    assert result.unchanged["listings"] == 2
    assert Listing.objects.count() == 3


def test_references_to_records_already_in_the_site_are_accepted(exchange_doc):
    import_exchange(exchange_doc)
    later = {
        "format": "cluster-exchange/1",
        "listings": [
            {
                "ref": "L-0099",
                "organisation": "org-1",
                "kind": "offer",
                "title": "Capture pilot plant for hire",
                "challenge": "ch-humber-capture",
                "clusters": ["south-wales"],
            }
        ],
    }
    import_exchange(later)
    assert Listing.objects.get(ref="L-0099").organisation.ref == "org-1"


def _break(doc, list_name, index, field, value):
    doc[list_name][index][field] = value
    return doc


BAD_RECORDS = [
    ("listings", 0, "themes", ["nuclear"], "listings[0].themes: unknown theme 'nuclear'"),
    ("listings", 1, "kind", "swap", "listings[1].kind: 'swap' is not one of offer, need"),
    ("listings", 0, "organisation", "org-404", "listings[0].organisation: unknown organisation"),
    ("listings", 0, "challenge", "ch-404", "listings[0].challenge: unknown challenge 'ch-404'"),
    ("listings", 0, "clusters", ["atlantis"], "listings[0].clusters: unknown cluster 'atlantis'"),
    ("listings", 0, "title", "x" * 201, "listings[0].title: is 201 characters long"),
    ("listings", 0, "title", "   ", "listings[0].title: is required"),
    ("listings", 0, "description", "y" * 10_001, "listings[0].description: is 10,001"),
    ("listings", 0, "status", "withdrawn", "listings[0].status: 'withdrawn' is not one of"),
    ("listings", 0, "ref", "L 0001", "listings[0].ref: 'L 0001' is not a valid reference"),
    ("listings", 0, "ref", "x" * 65, "is not a valid reference"),
    ("listings", 0, "title", 42, "listings[0].title: must be text"),
    ("listings", 0, "themes", "ccus", "listings[0].themes: must be a list"),
    ("listings", 0, "description", "nul\x00byte", "listings[0].description: contains a NUL"),
    ("listings", 1, "ref", "L-0001", "listings[1].ref: duplicate ref 'L-0001' (also at"),
    ("challenges", 0, "cluster", "atlantis", "challenges[0].cluster: unknown cluster 'atlantis'"),
    ("challenges", 1, "status", "maybe", "challenges[1].status: 'maybe' is not one of open"),
    ("organisations", 0, "kind", "charity", "organisations[0].kind: 'charity' is not one of"),
    ("organisations", 0, "website", "javascript:alert(1)", "organisations[0].website:"),
    ("clusters", 0, "emissions_mtco2", -1, "clusters[0].emissions_mtco2: must be a number"),
    ("clusters", 0, "emissions_mtco2", "lots", "clusters[0].emissions_mtco2: must be a number"),
    ("clusters", 0, "slug", "Humber Estuary!", "clusters[0].slug:"),
]


@pytest.mark.parametrize(("list_name", "index", "field", "value", "message"), BAD_RECORDS)
def test_a_bad_record_is_named_and_nothing_is_written(
    exchange_doc, list_name, index, field, value, message
):
    before = snapshot()
    with pytest.raises(ExchangeError) as caught:
        import_exchange(_break(exchange_doc, list_name, index, field, value))
    assert any(message in error for error in caught.value.errors), caught.value.errors
    assert snapshot() == before


def test_every_bad_record_is_reported_not_just_the_first(exchange_doc):
    exchange_doc["listings"][0]["themes"] = ["nuclear"]
    exchange_doc["listings"][2]["kind"] = "swap"
    exchange_doc["organisations"][1]["kind"] = "charity"
    with pytest.raises(ExchangeError) as caught:
        import_exchange(exchange_doc)
    assert len(caught.value.errors) == 3


def test_a_bad_file_changes_nothing_even_after_an_earlier_good_import(exchange_doc):
    import_exchange(exchange_doc)
    before = snapshot()
    exchange_doc["listings"][0]["title"] = "A new title that must not be saved"
    exchange_doc["listings"][2]["themes"] = ["nuclear"]
    with pytest.raises(ExchangeError):
        import_exchange(exchange_doc)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "one JSON object"),
        ({"format": "cluster-exchange/2"}, "format: must be 'cluster-exchange/1'"),
        ({"format": "cluster-exchange/1", "listings": {}}, "listings: must be a list"),
        ({"format": "cluster-exchange/1", "listings": ["L-1"]}, "listings[0]: must be an object"),
    ],
)
def test_a_document_of_the_wrong_shape_is_refused(doc, message):
    with pytest.raises(ExchangeError) as caught:
        import_exchange(doc)
    assert any(message in error for error in caught.value.errors), caught.value.errors


def test_command_exits_non_zero_and_names_each_error(tmp_path, exchange_doc, capsys):
    exchange_doc["listings"][0]["themes"] = ["nuclear"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(exchange_doc))
    with pytest.raises(CommandError, match="Nothing was imported: 1 problem"):
        call_command("import_exchange", str(path))
    assert "listings[0].themes: unknown theme 'nuclear'" in capsys.readouterr().err
    assert not Listing.objects.exists()


def test_command_reports_a_file_that_is_not_json(tmp_path, capsys):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "cluster-exchange/1",\n  "listings": [}')
    with pytest.raises(CommandError):
        call_command("import_exchange", str(path))
    assert "not valid JSON" in capsys.readouterr().err


def test_command_reports_a_missing_file(tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("import_exchange", str(tmp_path / "nowhere.json"))
    assert "no such file" in capsys.readouterr().err


def test_command_prints_what_it_did(tmp_path, exchange_doc, capsys):
    path = tmp_path / "good.json"
    path.write_text(json.dumps(exchange_doc))
    call_command("import_exchange", str(path))
    assert "listings: 3 added, 0 updated, 0 unchanged" in capsys.readouterr().out


def test_export_then_import_into_an_empty_site_gives_the_same_export(exchange_doc):
    import_exchange(exchange_doc)
    exported = export_exchange()
    Listing.objects.all().delete()
    Organisation.objects.all().delete()
    Challenge.objects.all().delete()

    import_exchange(json.loads(json.dumps(exported)))

    assert export_exchange() == exported
    assert {x["ref"] for x in exported["listings"]} == {"L-0001", "L-0002", "L-0003"}


def test_export_leaves_out_drafts_and_withdrawn_listings(exchange_doc):
    import_exchange(exchange_doc)
    Listing.objects.filter(ref="L-0001").update(status=Listing.Status.WITHDRAWN)
    Listing.objects.filter(ref="L-0002").update(status=Listing.Status.DRAFT)
    assert [x["ref"] for x in export_exchange()["listings"]] == ["L-0003"]


def test_demo_data_loads_and_loading_it_again_changes_nothing(capsys):
    call_command("load_demo")
    assert Listing.objects.published().count() >= 100
    assert Challenge.objects.count() >= 24
    assert set(Challenge.objects.values_list("cluster__slug", flat=True)) == {
        "humber",
        "south-wales",
        "grangemouth",
        "teesside",
        "merseyside",
        "southampton",
    }
    before = snapshot()
    call_command("load_demo")
    assert snapshot() == before


def test_demo_data_has_open_funding_calls_marked_as_fictional(capsys):
    """The funding pages were empty on `make run` (newcomer probe, stop 28). Dated years
    ahead, so that they stay open; named as demo data so nobody applies."""
    from funding.models import FundingCall

    call_command("load_demo")
    calls = list(FundingCall.objects.open())
    assert len(calls) >= 3
    for call in calls:
        assert call.name.startswith("Demo: ") and "fictional" in call.funder
        assert call.deadline.year >= 2031


def test_demo_needs_that_ask_for_an_investor_are_found_by_the_looking_for_filter(client, capsys):
    """Every demo listing was open to any kind of partner, so "Looking for: an investor"
    found nothing in the demo (newcomer probe, stop 29)."""
    call_command("load_demo")
    page = client.get("/needs/", {"partner_kind": "investor"})
    refs = [x.ref for x in page.context["page_obj"].object_list]
    assert refs == ["D-0032"]
    assert "Seed round" in page.content.decode()


def test_demo_data_is_matched_as_it_loads_so_the_first_figures_show_matches(capsys):
    """`make run` computes the dashboards' figures before its worker starts: they showed no
    match at all for the first hour (newcomer probe, stop 27)."""
    from matching.models import Match

    call_command("load_demo")
    assert Match.objects.filter(rank__isnull=False).count() > 100
    assert "Matched the demo listings" in capsys.readouterr().out


def test_load_demo_if_empty_does_not_touch_a_site_with_listings(exchange_doc, capsys):
    import_exchange(exchange_doc)
    call_command("load_demo", if_empty=True)
    assert Listing.objects.count() == 3
    assert "not loaded again" in capsys.readouterr().out


def test_a_challenge_changed_on_the_site_is_left_as_it_is_by_a_later_import(exchange_doc):
    """A cluster team closed one challenge; the file still says open and the old words.
    The import leaves that one alone (and says so) and still updates the other."""
    from teams import services as team_services
    from tests.factories import ClusterTeamMemberFactory

    import_exchange(exchange_doc)
    closed = Challenge.objects.get(ref="ch-humber-capture")
    team = ClusterTeamMemberFactory(cluster=closed.cluster)
    team_services.close_challenge(closed, team, "Solved by the new pipeline.")
    exchange_doc["challenges"][0]["title"] = "A title the file changed"
    exchange_doc["challenges"][1]["title"] = "Recover waste heat, revised"

    result = import_exchange(exchange_doc)

    closed.refresh_from_db()
    assert closed.status == "closed"
    assert closed.status_reason == "Solved by the new pipeline."
    assert closed.title == "Capture CO2 from refinery heaters"
    assert Challenge.objects.get(ref="ch-teesside-heat").title == "Recover waste heat, revised"
    assert "1 left as they are (changed on the site" in result.summary()
    assert result.updated["challenges"] == 1
    # Listings that name the kept challenge are still linked to it.
    assert Listing.objects.filter(challenge=closed).count() == sum(
        1 for x in exchange_doc["listings"] if x.get("challenge") == "ch-humber-capture"
    )


def test_a_challenge_staff_edited_in_the_admin_is_left_as_it_is(exchange_doc, client):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from staff.roles import PROGRAMME_ADMIN
    from tests.factories import UserFactory

    import_exchange(exchange_doc)
    challenge = Challenge.objects.get(ref="ch-teesside-heat")
    admin = UserFactory(is_staff=True)
    admin.groups.add(Group.objects.get(name=PROGRAMME_ADMIN))
    client.force_login(admin)
    response = client.post(
        reverse("admin:clusters_challenge_change", args=[challenge.pk]),
        {
            "ref": challenge.ref,
            "cluster": challenge.cluster_id,
            "title": "Edited by staff",
            "description": challenge.description,
            "set_by": "",
            "themes": list(challenge.themes.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 302
    import_exchange(exchange_doc)
    challenge.refresh_from_db()
    assert challenge.title == "Edited by staff"
