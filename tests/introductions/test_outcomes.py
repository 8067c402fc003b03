"""What came of an accepted introduction: the answer page, "Your introductions", the admin."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from introductions import services
from introductions.models import Introduction, Outcome
from staff.roles import MODERATOR, PROGRAMME_ADMIN, TRIAGER
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_introduction(sides, *, accept=True):
    introduction = services.request_introduction(
        sides.asker,
        organisation=sides.asking,
        target=sides.target,
        message="Hello",
        about_listing=sides.listing,
    )
    if accept:
        services.accept_introduction(introduction, sides.contact)
    return Introduction.objects.get(pk=introduction.pk)


@pytest.fixture
def accepted(sides):
    return make_introduction(sides)


def url(introduction):
    return reverse("introductions:outcome", args=[introduction.public_id])


def answer(client, user, introduction, result):
    client.force_login(user)
    return client.post(url(introduction), {"result": result})


def test_both_sides_answer_each_for_its_own_organisation(client, sides, accepted):
    response = answer(client, sides.asker, accepted, "talking")
    assert response.status_code == 302 and response.url == accepted.get_absolute_url()
    answer(client, sides.contact, accepted, "trial")
    rows = {o.organisation_id: (o.result, o.answered_by) for o in Outcome.objects.all()}
    assert rows == {
        sides.asking.pk: ("talking", sides.asker),
        sides.asked.pk: ("trial", sides.contact),
    }
    # The best of the two answers is how far it got.
    assert services.best_outcomes() == {accepted.pk: "trial"}
    html = client.get(accepted.get_absolute_url()).content.decode()
    assert "said: <strong>A trial or pilot</strong>" in html  # the asked side's own answer


def test_the_success_message_says_it_was_recorded(client, sides, accepted):
    client.force_login(sides.asker)
    response = client.post(url(accepted), {"result": "contract"}, follow=True)
    html = response.content.decode()
    assert "We have recorded what came of your introduction to" in html
    assert sides.asked.name in html


def test_answering_again_changes_the_one_answer_of_that_side(client, sides, accepted):
    answer(client, sides.contact, accepted, "talking")
    answer(client, sides.colleague, accepted, "bid_won")
    outcome = Outcome.objects.get()
    assert (outcome.organisation, outcome.result) == (sides.asked, "bid_won")
    assert outcome.answered_by == sides.colleague
    answer(client, sides.contact, accepted, "nothing")
    assert Outcome.objects.get().result == "nothing"
    assert services.best_outcomes([accepted.pk]) == {accepted.pk: "nothing"}


def test_a_get_shows_the_question_and_records_nothing(client, sides, accepted):
    client.force_login(sides.asker)
    response = client.get(url(accepted))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"What came of your introduction to {sides.asked.name}" in html
    for label in Outcome.Result.labels:
        assert label in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    # Even with an answer in the address, as a mail scanner or a prefetch might send.
    client.get(url(accepted) + "?result=bid_won")
    assert not Outcome.objects.exists()


def test_another_organisations_member_gets_404(client, sides, accepted, outsider):
    client.force_login(outsider)
    assert client.get(url(accepted)).status_code == 404
    assert client.post(url(accepted), {"result": "trial"}).status_code == 404
    assert not Outcome.objects.exists()


def test_a_member_of_an_unapproved_organisation_gets_404(client, accepted):
    unapproved = OrganisationFactory(status="pending")
    user = MembershipFactory(organisation=unapproved).user
    client.force_login(user)
    assert client.post(url(accepted), {"result": "trial"}).status_code == 404
    assert not Outcome.objects.exists()


def test_signed_out_the_page_sends_to_sign_in_and_back(client, accepted):
    response = client.get(url(accepted))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert f"next={url(accepted)}" in response.url.replace("%2F", "/")
    client.post(url(accepted), {"result": "trial"})
    assert not Outcome.objects.exists()


@pytest.mark.parametrize("result", ["", "won_the_lottery", "<script>x</script>"])
def test_bad_input_shows_an_error_and_records_nothing(client, sides, accepted, result):
    client.force_login(sides.asker)
    response = client.post(url(accepted), {"result": result})
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html and "<title>Error:" in html
    assert "Choose what came of the introduction" in html
    assert "<script>x</script>" not in html
    assert not Outcome.objects.exists()


@pytest.mark.parametrize("status", ["open", "declined", "expired"])
def test_an_introduction_that_was_not_accepted_has_no_answer_page(client, sides, status):
    introduction = make_introduction(sides, accept=False)
    Introduction.objects.filter(pk=introduction.pk).update(status=status)
    client.force_login(sides.asker)
    assert client.get(url(introduction)).status_code == 404
    assert client.post(url(introduction), {"result": "trial"}).status_code == 404
    with pytest.raises(services.NotAllowed, match="once it has been accepted"):
        services.record_outcome(introduction, sides.asker, "trial")
    assert not Outcome.objects.exists()


def test_the_service_refuses_an_unknown_result_and_someone_on_neither_side(
    sides, accepted, outsider
):
    with pytest.raises(services.NotAllowed, match="from the list"):
        services.record_outcome(accepted, sides.asker, "maybe")
    with pytest.raises(services.NotAllowed, match="Only members"):
        services.record_outcome(accepted, outsider, "trial")
    assert not Outcome.objects.exists()


def test_answering_from_your_introductions(client, sides, accepted):
    client.force_login(sides.asker)
    listing = client.get(reverse("introductions:list", args=[sides.asking.ref])).content.decode()
    assert "What came of it" in listing and f'href="{url(accepted)}"' in listing
    assert "Tell us" in listing
    detail = client.get(accepted.get_absolute_url()).content.decode()
    assert f'action="{url(accepted)}"' in detail and "Save your answer" in detail
    response = client.post(url(accepted), {"result": "bid_submitted"}, follow=True)
    assert "A joint bid submitted" in response.content.decode()
    listing = client.get(reverse("introductions:list", args=[sides.asking.ref])).content.decode()
    assert "A joint bid submitted" in listing and "Change" in listing
    # The other side has said nothing yet, and sees no answer of the asker's as its own.
    client.force_login(sides.contact)
    listing = client.get(reverse("introductions:list", args=[sides.asked.ref])).content.decode()
    assert "A joint bid submitted" not in listing and "Tell us" in listing


def test_an_open_request_offers_no_answer_in_your_introductions(client, sides):
    introduction = make_introduction(sides, accept=False)
    client.force_login(sides.asker)
    listing = client.get(reverse("introductions:list", args=[sides.asking.ref])).content.decode()
    assert url(introduction) not in listing
    assert "Save your answer" not in client.get(introduction.get_absolute_url()).content.decode()


def test_the_answer_page_reads_a_fixed_number_of_queries(
    client, sides, accepted, django_assert_max_num_queries
):
    client.force_login(sides.asker)
    with django_assert_max_num_queries(8):
        client.get(url(accepted))
    answer(client, sides.contact, accepted, "trial")
    client.force_login(sides.asker)
    with django_assert_max_num_queries(17):
        client.post(url(accepted), {"result": "talking"})
    with django_assert_max_num_queries(8):
        client.post(url(accepted), {"result": "nope"})


def test_your_introductions_reads_a_fixed_number_of_queries(
    client, sides, django_assert_max_num_queries
):
    def count():
        client.force_login(sides.asker)
        with django_assert_max_num_queries(8) as captured:
            client.get(reverse("introductions:list", args=[sides.asking.ref]))
        return len(captured.captured_queries)

    make_introduction(sides)
    one = count()
    for introduction in Introduction.objects.all():
        services.record_outcome(introduction, sides.asker, "talking")
    assert count() == one


def staff_user(role):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_programme_admins_see_outcomes_read_only_on_the_introduction(client, sides, accepted):
    services.record_outcome(accepted, sides.contact, "contract")
    client.force_login(staff_user(PROGRAMME_ADMIN))
    page = reverse("admin:introductions_introduction_change", args=[accepted.pk])
    html = client.get(page).content.decode()
    assert "What came of it" in html and "A contract" in html
    assert 'name="outcomes-0-result"' not in html  # no editing
    assert 'value="0" id="id_outcomes-MAX_NUM_FORMS"' in html  # nothing can be added
    client.post(page, {"outcomes-TOTAL_FORMS": "1", "outcomes-0-result": "nothing"})
    assert Outcome.objects.get().result == "contract"


@pytest.mark.parametrize("role", [TRIAGER, MODERATOR])
def test_other_staff_roles_do_not_see_introductions_or_outcomes(client, accepted, role):
    client.force_login(staff_user(role))
    page = reverse("admin:introductions_introduction_change", args=[accepted.pk])
    assert client.get(page).status_code in (302, 403)


@pytest.mark.parametrize("page", ["outcome", "detail"])
def test_the_forms_carry_a_csrf_token_and_need_it(sides, accepted, page):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(sides.asker)
    html = client.get(reverse(f"introductions:{page}", args=[accepted.public_id])).content
    form = re.search(
        rb'<form method="post" action="' + url(accepted).encode() + rb".*?</form>", html, re.S
    )
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    assert token, "the answer form has no CSRF token"
    assert client.post(url(accepted), {"result": "trial"}).status_code == 403
    assert not Outcome.objects.exists()
    response = client.post(
        url(accepted), {"result": "trial", "csrfmiddlewaretoken": token.group(1).decode()}
    )
    assert response.status_code == 302 and Outcome.objects.get().result == "trial"


def test_other_methods_are_refused_and_record_nothing(client, sides, accepted):
    client.force_login(sides.asker)
    assert client.put(url(accepted), "result=trial").status_code == 405
    assert not Outcome.objects.exists()
