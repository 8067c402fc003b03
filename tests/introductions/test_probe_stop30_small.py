"""The decline options of an introduction received, in words people understand (usability
probe, stop 30: "Tell them now / after 14 days … We do not email them either way")."""

import re

import pytest
from django.urls import reverse

from introductions.models import Introduction

pytestmark = pytest.mark.django_db


@pytest.fixture
def introduction(client, sides):
    client.force_login(sides.asker)
    client.post(
        reverse("introductions:request", args=[sides.listing.ref, sides.target.ref]),
        {"message": "We dry 4 t/h of pulp and would like to hear about your heat pumps."},
    )
    return Introduction.objects.get()


def decline_section(html: str) -> str:
    return html.split('<h2 class="govuk-heading-m">Decline</h2>', 1)[1]


def test_the_decline_says_it_is_quiet_and_what_the_asker_sees_when(client, sides, introduction):
    client.force_login(sides.contact)
    html = decline_section(client.get(introduction.get_absolute_url()).content.decode())
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Declining is quiet: we do not email anyone about it" in text
    assert "this request will show as “Not taken forward”" in text
    assert f"When should {sides.asking.name} see “Not taken forward”?" in text
    assert "Nobody is emailed, whichever you choose" in text
    assert "Now Their list shows “Not taken forward” as soon as you decline" in text
    assert "In 14 days Their list goes on showing “Waiting for a reply” for 14 days" in text
    assert "Tell them" not in text and "either way" not in text


def test_the_decline_radios_keep_their_names_values_and_ids(client, sides, introduction):
    client.force_login(sides.contact)
    html = decline_section(client.get(introduction.get_absolute_url()).content.decode())
    assert re.search(r'id="id_tell_0" name="tell" type="radio" value="now" required', html)
    assert re.search(r'id="id_tell_1" name="tell" type="radio" value="later" required', html)
    assert 'aria-describedby="id_tell_0_hint"' in html and 'id="id_tell_0_hint"' in html
    assert 'aria-describedby="id_tell_helptext"' in html


def test_a_decline_without_a_choice_marks_the_radios_in_error(client, sides, introduction):
    client.force_login(sides.contact)
    response = client.post(reverse("introductions:decline", args=[introduction.public_id]), {})
    html = decline_section(response.content.decode())
    assert "govuk-form-group--error" in html
    assert 'aria-describedby="id_tell_helptext id_tell_error"' in html
    assert (
        'id="id_tell_error"' in html and "Choose when they should see “Not taken forward”" in html
    )


def test_the_choice_is_kept_and_still_works(client, sides, introduction):
    client.force_login(sides.contact)
    response = client.post(
        reverse("introductions:decline", args=[introduction.public_id]), {"tell": "later"}
    )
    assert response.status_code == 302
    introduction.refresh_from_db()
    assert introduction.status == "declined"
    assert introduction.decline_shown_at > introduction.decided_at


def test_an_accepted_introduction_whose_contact_left_says_what_to_do_next(
    client, sides, introduction
):
    from accounts.services import delete_account

    client.force_login(sides.contact)
    client.post(reverse("introductions:accept", args=[introduction.public_id]))
    introduction.refresh_from_db()
    assert introduction.status == "accepted"
    delete_account(sides.contact)  # the organisation stays: a colleague is still there

    client.force_login(sides.asker)
    html = client.get(introduction.get_absolute_url()).content.decode()
    assert "The person who accepted has since left Cluster Exchange" in html
    assert "We have emailed these details to both of you" not in html


def test_when_the_person_who_asked_has_left_the_details_go_to_their_organisations_contact(
    client, sides, introduction, django_capture_on_commit_callbacks
):
    """They were emailed to someone no longer at the organisation (review, stop 31)."""
    from django.core import mail

    from clusters import services as clusters
    from clusters.models import Membership
    from tests.factories import MembershipFactory

    stays = MembershipFactory(organisation=sides.asking, role="admin").user
    clusters.remove_member(Membership.objects.get(user=sides.asker), stays)
    mail.outbox.clear()
    client.force_login(sides.contact)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("introductions:accept", args=[introduction.public_id]))
    introduction.refresh_from_db()
    assert introduction.requested_by == sides.asker  # the record keeps who asked
    assert sides.asker.email not in {m.to[0] for m in mail.outbox}
    assert stays.email in {m.to[0] for m in mail.outbox}
    # And it is the contact the other side is given, not the person who left.
    to_them = next(m for m in mail.outbox if m.to == [sides.contact.email])
    assert stays.email in to_them.body and sides.asker.email not in to_them.body


def test_an_accepted_introduction_with_an_organisation_nobody_is_left_at_says_so(
    client, sides, introduction
):
    """It advised asking from another of the organisation's listings, when nobody was left
    there and its listings were withdrawn (re-probe, stop 31)."""
    from accounts.services import delete_account
    from clusters.models import Membership

    client.force_login(sides.contact)
    client.post(reverse("introductions:accept", args=[introduction.public_id]))
    Membership.objects.filter(organisation=sides.asked).exclude(user=sides.contact).delete()
    delete_account(sides.contact)  # the last member: the organisation stays, without members

    client.force_login(sides.asker)
    html = client.get(introduction.get_absolute_url()).content.decode()
    assert f"Nobody is left at {sides.asked.name} on Cluster Exchange" in html
    assert "another of the organisation’s listings" not in html
