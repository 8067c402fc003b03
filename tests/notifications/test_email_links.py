"""Links in emails change nothing on GET or HEAD: mail scanners follow every link.

Answers from an email open a page with a button (a POST with a CSRF token, working with
no session because the signed token is in the address). Only the one-click unsubscribe
acts on a POST without a page (RFC 8058), as mail programs send it.
"""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from clusters.models import Invitation, Membership
from introductions.models import Introduction
from matching.models import Match
from notifications.models import Digest, EmailPreference, ListingMute
from notifications.services import send_digests
from tests.conftest import confirm_it_is_you
from tests.factories import ListingFactory, MembershipFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/[^\s<>\"]*)")


def make_match(source, target, score=0.9) -> Match:
    return Match.objects.create(
        source_key=Match.key_for(source),
        source_listing=source,
        target=target,
        score=score,
        rank=1,
        reasons=["heat pumps"],
        engine_version="test",
        computed_at=timezone.now(),
        first_seen_at=timezone.now() - timedelta(hours=1),
    )


@pytest.fixture
def emails(django_capture_on_commit_callbacks):
    """Every kind of email with a link in it, sent through the site as people would."""
    owner = MembershipFactory().user
    asking = owner.memberships.get().organisation
    need = ListingFactory(organisation=asking, kind="need", title="Heat for a drying line")
    contact = MembershipFactory().user
    offer = ListingFactory(
        organisation=contact.memberships.get().organisation,
        kind="offer",
        title="Industrial heat pumps",
    )
    make_match(need, offer)
    make_match(offer, need, score=0.3)
    member = Client()
    member.force_login(owner)
    confirm_it_is_you(member)  # inviting asks for it
    visitor = Client()
    with django_capture_on_commit_callbacks(execute=True):
        send_digests("daily")
        member.post(
            reverse("introductions:request", args=[need.ref, offer.ref]),
            {"message": "We dry pulp and would like to hear about your heat pumps."},
        )
        member.post(
            reverse("clusters:organisation-invite", args=[asking.ref]),
            {"email": "colleague@example.org"},
        )
        visitor.post(
            reverse("account_signup"),
            {
                "name": "Ana Rees",
                "email": "ana@example.org",
                "password1": "a long passphrase 77",
                "password2": "a long passphrase 77",
                "accept_privacy": "on",
            },
        )
        Client().post(reverse("account_reset_password"), {"email": contact.email})
    kinds = {m.subject.split(" ")[0] for m in mail.outbox}
    assert len(mail.outbox) >= 5, kinds
    return {"owner": owner, "need": need, "offer": offer}


def links_in(message) -> list[str]:
    parts = [message.body, *(body for body, _ in message.alternatives)]
    parts += [message.extra_headers.get("List-Unsubscribe", "")]
    return [link.replace("&amp;", "&") for part in parts for link in LINK.findall(part)]


def state() -> dict:
    """Everything a person decides that an email link could change (not click times)."""
    return {
        "matches": list(Match.objects.values_list("pk", "status", "status_changed_at")),
        "preferences": list(EmailPreference.objects.values_list("user_id", "cadence")),
        "mutes": list(ListingMute.objects.values_list("user_id", "listing_id")),
        "introductions": list(Introduction.objects.values_list("pk", "status", "decided_at")),
        "memberships": list(Membership.objects.values_list("user_id", "organisation_id")),
        "invitations": list(Invitation.objects.values_list("pk", "accepted_at")),
        "verified": list(EmailAddress.objects.values_list("email", "verified")),
        "passwords": list(User.objects.values_list("pk", "password")),
    }


def test_every_link_in_every_email_changes_nothing_on_get_or_head_without_a_session(emails):
    links = sorted({link for message in mail.outbox for link in links_in(message)})
    for kind in ["/email/answer/", "/email/unsubscribe/", "/email/link/", "/invitations/"]:
        assert any(kind in link for link in links), kind
    assert any("/account/confirm-email/" in link for link in links)
    assert any("/account/password/reset/key/" in link for link in links)
    assert any("/introductions/" in link for link in links)
    before = state()
    for link in links:
        for method in ("get", "head"):
            response = getattr(Client(), method)(link)
            assert response.status_code < 500, (method, link)
    assert state() == before


def answer_link(answer: str, owner) -> str:
    digest = next(m for m in mail.outbox if "/email/answer/" in m.body and m.to == [owner.email])
    label = "Interested" if answer == "interested" else "Not relevant"
    return re.search(rf"{label}: http://testserver(\S+)", digest.body).group(1)


def csrf_token_in(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def test_not_relevant_opens_a_page_with_the_match_and_only_its_button_dismisses_it_once(emails):
    link = answer_link("not-relevant", emails["owner"])
    match = Match.objects.get(source_listing=emails["need"], target=emails["offer"])
    browser = Client(enforce_csrf_checks=True)  # no session, as from a mail program

    page = browser.get(link)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Industrial heat pumps" in html and "Heat for a drying line" in html
    assert '<form method="post">' in html and "Yes, it is not relevant" in html
    assert browser.head(link).status_code == 200
    match.refresh_from_db()
    assert match.status == "new"

    # Without the form's CSRF token, a POST is refused and changes nothing.
    assert browser.post(link).status_code == 403
    match.refresh_from_db()
    assert match.status == "new"

    done = browser.post(link, {"csrfmiddlewaretoken": csrf_token_in(page)})
    assert done.status_code == 200 and "will not suggest" in done.content.decode()
    match.refresh_from_db()
    assert match.status == "dismissed"
    answered_at = match.status_changed_at
    assert (
        Digest.objects.get(user=emails["owner"]).clicked_at is not None
    )  # an answer counts as opening

    # A replay is harmless: the same answer, recorded once.
    again = browser.post(link, {"csrfmiddlewaretoken": csrf_token_in(page)})
    assert again.status_code == 200
    match.refresh_from_db()
    assert match.status == "dismissed" and match.status_changed_at == answered_at
    assert "You have already told us this" in browser.get(link).content.decode()


def test_an_answer_link_does_not_show_a_listing_taken_down_since(emails):
    from clusters.services import unpublish_listing
    from tests.factories import UserFactory

    unpublish_listing(emails["offer"], UserFactory(is_staff=True), "Not about decarbonisation.")
    page = Client().get(answer_link("interested", emails["owner"]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Industrial heat pumps" not in html and "no longer listed" in html
    assert '<form method="post">' not in html


def test_interested_changes_nothing_until_its_button_is_pressed(emails):
    link = answer_link("interested", emails["owner"])
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link)
    browser.head(link)
    match = Match.objects.get(source_listing=emails["need"], target=emails["offer"])
    assert match.status == "new" and "Yes, I am interested" in page.content.decode()
    done = browser.post(link, {"csrfmiddlewaretoken": csrf_token_in(page)})
    match.refresh_from_db()
    assert match.status == "interested"
    # What next: the matches page of the listing's organisation, and asking for an
    # introduction (it linked to "Your organisation" and stopped there: newcomer probe).
    html = done.content.decode()
    need, offer = emails["need"], emails["offer"]
    assert f'href="/your-organisation/{need.organisation.ref}/matches/"' in html
    assert f'href="/listings/{need.ref}/matches/{offer.ref}/introduction/"' in html
    assert f'href="/your-organisation/{need.organisation.ref}/matches/"' in page.content.decode()


def answer(link: str):
    """Open an answer link as from a mail program, then press the page's button."""
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link)
    return page, browser.post(link, {"csrfmiddlewaretoken": csrf_token_in(page)})


def test_the_email_and_every_page_after_it_use_the_sites_words_for_an_answer(emails):
    owner, need, offer = emails["owner"], emails["need"], emails["offer"]
    digest = next(m for m in mail.outbox if "/email/answer/" in m.body and m.to == [owner.email])
    html = digest.alternatives[0][0]
    for body in (digest.body, html):
        assert "Interested" in body and "Not relevant" in body
        assert "Useful" not in body and "/useful/" not in body
    assert ">Interested</a>" in html

    page, done = answer(answer_link("interested", owner))
    for response in (page, done):
        text = response.content.decode()
        assert "interested" in text and "useful" not in text.lower()
    assert f"you are interested in “{offer.title}”" in done.content.decode()

    # The matches page says back the same word, beside the same button.
    member = Client()
    member.force_login(owner)
    matches = member.get(reverse("matching:organisation", args=[need.organisation.ref]))
    text = matches.content.decode()
    assert "You said you are interested." in text
    assert 'value="interested"' in text and "useful" not in text.lower()


def test_a_useful_link_from_an_earlier_email_still_records_interested(emails):
    link = answer_link("interested", emails["owner"]).replace("/interested/", "/useful/")
    page, done = answer(link)
    assert page.status_code == 200 and "Yes, I am interested" in page.content.decode()
    assert "useful" not in done.content.decode().lower()
    match = Match.objects.get(source_listing=emails["need"], target=emails["offer"])
    assert match.status == "interested"


def test_after_interested_nobody_to_answer_points_to_get_in_touch_not_to_asking(emails):
    owner, offer = emails["owner"], emails["offer"]
    # Nobody at the offer's organisation can answer: its only member's address is unconfirmed.
    EmailAddress.objects.filter(user__memberships__organisation=offer.organisation).update(
        verified=False
    )
    _, done = answer(answer_link("interested", owner))
    html = done.content.decode()
    organisation = offer.organisation.name
    assert "/introduction/" not in html and f"ask {organisation}" not in html
    assert f"Nobody at {organisation} can answer requests" in html
    assert f'href="{reverse("enquiries:create")}?listing={offer.ref}"' in html
    assert Match.objects.get(source_listing=emails["need"], target=offer).status == "interested"


def test_answer_links_refuse_other_methods(emails):
    link = answer_link("not-relevant", emails["owner"])
    for method in ("put", "delete", "patch"):
        assert getattr(Client(), method)(link).status_code == 405
    assert Match.objects.filter(status="new").count() == 2


def test_unsubscribe_shows_a_page_on_get_and_acts_on_a_one_click_post(emails):
    owner = emails["owner"]
    digest = next(m for m in mail.outbox if m.to == [owner.email] and "/email/" in m.body)
    link = re.search(r"<http://testserver(\S+)>", digest.extra_headers["List-Unsubscribe"]).group(1)
    for method in ("get", "head"):
        page = getattr(Client(), method)(link)
        assert page.status_code == 200
    assert "Stop match emails" in Client().get(link).content.decode()
    assert '<form method="post"' in Client().get(link).content.decode()
    assert not EmailPreference.objects.filter(user=owner, cadence="never").exists()

    # As a mail program sends it (RFC 8058): a POST with no page and no CSRF token.
    response = Client(enforce_csrf_checks=True).post(link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    preference = EmailPreference.objects.get(user=owner)
    assert preference.cadence == "never"
    changed_at = preference.changed_at
    assert Client().post(link).status_code == 200  # a replay is harmless
    preference.refresh_from_db()
    assert preference.cadence == "never" and preference.changed_at == changed_at


def test_a_tracked_link_records_the_click_and_changes_nothing_the_person_is_sent(emails):
    owner = emails["owner"]
    digest = next(m for m in mail.outbox if "/email/link/" in m.body and m.to == [owner.email])
    link = re.search(r"See it: http://testserver(\S+)", digest.body).group(1)
    before = state()
    response = Client().get(link)
    assert response.status_code == 302 and response["Location"].startswith("/listings/")
    assert Digest.objects.get(user=owner).clicked_at is not None
    assert state() == before
