"""Fuzzing the forms of signed-in members: organisation profile, listings, checking for
matches, invitations, join requests, answers to matches, introductions, email settings and
the account pages. No answer is a server error.

Values named "@..." stand for the world's rows (their ids and references are known only
once the test has made them).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from matching import services as matching_services
from tests.fuzz.conftest import INVITATION_TOKEN
from tests.fuzz.strategies import (
    bad_ids,
    form_data,
    fuzz,
    fuzz_more,
    ids,
    odd_text,
    plain_text,
    send,
)

pytestmark = pytest.mark.django_db

THEME_IDS = ids(st.integers(1, 9))  # the nine themes, made by a data migration
CLUSTER_IDS = ids(st.integers(1, 6))  # the six clusters, likewise
URLS = st.sampled_from(["https://example.org", "http://example.org/a?b=c", ""])
DATES = st.dates(min_value=timezone.localdate() + timedelta(days=1)).map(str) | st.sampled_from(
    ["", "2020-01-01", "31/12/2030", "2030-02-30", "9999-12-31"]
)

ORGANISATION = {
    "name": st.just("Fuzzed Works Ltd") | plain_text(max_size=200),
    "kind": st.sampled_from(["business", "investor", "university", "public_body", "other"]),
    "description": plain_text(max_size=2000),
    "website": URLS,
    "clusters": st.lists(CLUSTER_IDS, max_size=3),
    "size": st.sampled_from(["", "micro", "small", "medium", "large"]),
    "location": st.just("HU12 8DS") | plain_text(max_size=100),
}
LISTING = {
    "kind": st.sampled_from(["offer", "need"]),
    "title": st.just("Heat pumps for drying lines") | plain_text(max_size=200),
    "description": st.just("Industrial heat pumps for a paper mill.") | plain_text(max_size=3000),
    "themes": st.lists(THEME_IDS, min_size=1, max_size=3),
    "clusters": st.lists(CLUSTER_IDS, max_size=3),
    "challenge": st.sampled_from(["", "@challenge", "²", "٣"]) | bad_ids(),
    "partner_kind": st.sampled_from(["any", "business", "investor", "university"]),
    "expires_on": DATES,
    "check": st.sampled_from([None, "1"]),
}


def resolve(data: dict, world) -> dict:
    """The form with "@..." placeholders replaced by the world's ids, and no None values."""
    names = {"@challenge": str(world.challenge.pk)}
    return {
        key: names.get(value, value) if isinstance(value, str) else value
        for key, value in data.items()
        if value is not None
    }


@pytest.fixture
def fitted(world):
    """A matching model fitted on the world's listings, so that checks find suggestions."""
    matching_services.rebuild(in_process=True)
    return world


@fuzz
@given(data=form_data(ORGANISATION), edit=st.booleans())
def test_organisation_forms_never_fail(signed_in, world, data, edit):
    path = (
        f"/your-organisation/{world.organisation.ref}/edit/" if edit else "/your-organisation/new/"
    )
    send(signed_in, "post", path, resolve(data, world))


@fuzz_more(1.5)
@given(data=form_data(LISTING), edit=st.booleans())
def test_listing_forms_never_fail(signed_in, fitted, data, edit):
    world = fitted
    path = (
        f"/listings/{world.draft.ref}/edit/"
        if edit
        else f"/your-organisation/{world.organisation.ref}/listings/new/"
    )
    send(signed_in, "post", path, resolve(data, world))


@fuzz
@given(data=form_data(LISTING))
def test_check_for_matches_as_you_type_never_fails(signed_in, fitted, data):
    world = fitted
    path = f"/your-organisation/{world.organisation.ref}/listings/check/"
    send(signed_in, "post", path, resolve(data, world), HTTP_HX_REQUEST="true")


@fuzz
@given(data=form_data({"email": st.emails() | st.just("@member")}))
def test_inviting_a_colleague_never_fails(signed_in, world, data):
    if data.get("email") == "@member":
        data["email"] = world.member.email
    send(signed_in, "post", f"/your-organisation/{world.organisation.ref}/invite/", data)


@fuzz
@given(
    find=form_data({"q": st.just("Organisation") | plain_text(max_size=200)}),
    data=form_data(
        {
            "organisation": st.sampled_from(["@offer", "@mine"]) | odd_text(max_size=70),
            "message": st.just("") | plain_text(max_size=1000),
        }
    ),
    method=st.sampled_from(["get", "post"]),
)
def test_asking_to_join_an_organisation_never_fails(signed_in, world, find, data, method):
    refs = {"@offer": world.offer.organisation.ref, "@mine": world.organisation.ref}
    if isinstance(data.get("organisation"), str) and data["organisation"] in refs:
        data["organisation"] = refs[data["organisation"]]
    if method == "get":
        send(signed_in, "get", "/your-organisation/join/", find)
    else:
        send(signed_in, "post", "/your-organisation/join/", data)


@fuzz
@given(data=form_data({"decision": st.sampled_from(["approve", "decline"])}))
def test_deciding_a_join_request_never_fails(signed_in, world, data):
    path = f"/your-organisation/{world.organisation.ref}/requests/{world.join_request.public_id}/"
    send(signed_in, "post", path, data)


def test_the_fuzzed_invitation_link_reaches_the_real_invitation(signed_in, world):
    # Otherwise the fuzzing below would only ever meet "not found".
    page = signed_in.get(f"/invitations/{INVITATION_TOKEN}/")
    assert page.status_code == 200 and world.invitation.organisation.name in page.content.decode()


@fuzz
@given(
    token=st.just("@invitation") | odd_text(max_size=80), method=st.sampled_from(["get", "post"])
)
def test_invitation_links_never_fail(signed_in, world, token, method):
    from urllib.parse import quote

    token = INVITATION_TOKEN if token == "@invitation" else quote(token, safe="") or "x"
    send(signed_in, method, f"/invitations/{token}/")


@fuzz
@given(
    data=form_data({"answer": st.sampled_from(["interested", "not-relevant"])}),
    target=st.just("@offer") | odd_text(max_size=70).filter(lambda s: s not in ("", ".", "..")),
)
def test_answering_a_match_never_fails(signed_in, world, data, target):
    from urllib.parse import quote

    target = world.offer.ref if target == "@offer" else quote(target, safe="")
    send(signed_in, "post", f"/listings/{world.need.ref}/matches/{target}/", data)


@fuzz
@given(
    data=form_data({"message": st.just("Shall we talk?") | plain_text(max_size=1500)}),
    method=st.sampled_from(["get", "post"]),
)
def test_asking_for_an_introduction_never_fails(signed_in, world, data, method):
    path = f"/listings/{world.need.ref}/matches/{world.offer.ref}/introduction/"
    send(signed_in, method, path, data if method == "post" else None)


@fuzz
@given(
    action=st.sampled_from(["decline", "accept", ""]),
    data=form_data({"tell": st.sampled_from(["now", "later"])}),
)
def test_answering_an_introduction_never_fails(signed_in, world, action, data):
    path = f"/introductions/{world.introduction.public_id}/" + (f"{action}/" if action else "")
    send(signed_in, "post" if action else "get", path, data if action else None)


@fuzz
@given(
    data=form_data(
        {
            "cadence": st.sampled_from(["immediately", "daily", "weekly", "never"]),
            "muted": st.lists(st.sampled_from(["@need", "@draft"]) | bad_ids(), max_size=3),
        }
    )
)
def test_email_settings_never_fail(signed_in, world, data):
    ids = {"@need": str(world.need.pk), "@draft": str(world.draft.pk)}
    if isinstance(data.get("muted"), list):
        data["muted"] = [ids.get(value, value) for value in data["muted"]]
    send(signed_in, "post", "/account/email-settings/", data)


@fuzz
@given(
    step=st.sampled_from(["publish", "withdraw", "preview"]),
    which=st.sampled_from(["draft", "need"]),
    data=form_data({"reason": plain_text()}, optional=True),
)
def test_publishing_and_withdrawing_never_fail(signed_in, world, step, which, data):
    listing = world.draft if which == "draft" else world.need
    method = "get" if step == "preview" else "post"
    send(signed_in, method, f"/listings/{listing.ref}/{step}/", data if method == "post" else None)


@fuzz
@given(
    page=st.sampled_from(["delete", "your-data", "your-data/download"]),
    data=form_data({"confirm": st.just("on")}),
)
def test_account_pages_never_fail(client, world, page, data):
    client.force_login(world.member)  # deleting the account signs out; rolled back after
    send(client, "post", f"/account/{page}/", data)
