"""The matcher learns from people's answers: which answers count, the guard, what staff see."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from clusters.models import Listing, Organisation
from matching import answers, engine, learn, services
from matching.models import LearnedWeights, Match
from tests.factories import IntroductionFactory, ListingFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

NEED = "Testing hydrogen electrolyser stacks under load at a refinery site"
CLOSE = "Hydrogen electrolyser stacks tested under load for refinery sites"  # near in words
FAR = "Research on water splitting membranes and catalyst durability"  # the right partner


def _site(needs=24):
    """Needs that ask for a university; offers near in words from businesses, offers far in
    words from universities. People like the universities' offers: the partner kind matters
    more to them than the default weights say."""
    business = [OrganisationFactory(kind=Organisation.Kind.BUSINESS) for _ in range(5)]
    university = [OrganisationFactory(kind=Organisation.Kind.UNIVERSITY) for _ in range(5)]
    close = [
        ListingFactory(
            organisation=org, kind="offer", title=f"Stack testing {i}", description=CLOSE
        )
        for i, org in enumerate(business)
    ]
    far = [
        ListingFactory(
            organisation=org, kind="offer", title=f"Electrolysis research {i}", description=FAR
        )
        for i, org in enumerate(university)
    ]
    wanting = [
        ListingFactory(
            kind="need",
            title=f"Electrolyser test partner {i}",
            description=NEED,
            partner_kind="university",
        )
        for i in range(needs)
    ]
    return wanting, close, far


def _answer(needs, liked, disliked):
    for need in needs:
        for offer, status in [
            *((o, Match.Status.INTERESTED) for o in liked),
            *((o, Match.Status.DISMISSED) for o in disliked),
        ]:
            match, _ = Match.objects.get_or_create(
                source_key=Match.key_for(need),
                target=offer,
                defaults={
                    "source_listing": need,
                    "score": 0.5,
                    "rank": None,
                    "engine_version": "test",
                    "computed_at": need.created_at,
                },
            )
            services.set_match_status(match, status)


def _ranked_targets(need):
    return list(
        Match.objects.filter(source_key=Match.key_for(need), rank__isnull=False)
        .order_by("rank")
        .values_list("target__ref", flat=True)
    )


def test_answers_that_favour_the_partner_kind_are_learned_and_used_by_the_next_fit():
    needs, close, far = _site()
    services.rebuild(in_process=True)
    # With the default weights the offers nearest in words come first.
    assert set(_ranked_targets(needs[0])[:5]) == {o.ref for o in close}

    _answer(needs[1:], liked=far, disliked=close)
    row = answers.learn_weights()
    assert row.adopted and row.in_use, row.reason
    assert row.answers == len(needs[1:]) * 10
    assert row.organisations == len(needs[1:])
    assert row.weights["partner"] > engine.DEFAULTS.signal_weights()["partner"]
    assert row.held_out_learned > row.held_out_default
    assert services.current_settings().signal_weights() == pytest.approx(row.weights)

    services.rebuild(in_process=True)
    _record, model = services.current_model()
    assert model.settings.signal_weights() == pytest.approx(row.weights)
    after = _ranked_targets(needs[0])  # a need nobody answered for
    assert set(after[:5]) == {o.ref for o in far}


def test_answers_that_do_not_beat_the_defaults_change_nothing():
    needs, close, far = _site()
    services.rebuild(in_process=True)
    # Half the needs like the near offers, half the far ones: nothing to learn.
    _answer(needs[1:12], liked=far, disliked=close)
    _answer(needs[12:], liked=close, disliked=far)
    row = answers.learn_weights()
    assert not row.adopted and not row.in_use
    assert answers.weights_in_use() is None
    assert services.current_settings() == engine.DEFAULTS


def test_too_few_answers_are_recorded_but_not_used():
    needs, close, far = _site(needs=5)
    services.rebuild(in_process=True)
    _answer(needs, liked=far, disliked=close)
    row = answers.learn_weights()
    assert not row.adopted and row.weights is None
    assert "50 answers from 5 organisations" in row.reason
    assert LearnedWeights.objects.count() == 1


def test_an_accepted_introduction_counts_as_liked_and_answers_of_unlisted_pairs_are_left_out():
    needs, close, far = _site(needs=2)
    services.rebuild(in_process=True)
    IntroductionFactory(source_listing=needs[0], target_listing=far[0], status="accepted")
    _answer([needs[1]], liked=[], disliked=[close[0]])
    hidden = close[1]
    _answer([needs[1]], liked=[hidden], disliked=[])
    Listing.objects.filter(pk=hidden.pk).update(status=Listing.Status.WITHDRAWN)
    services.rebuild(in_process=True)
    _record, model = services.current_model()
    found = answers.collect_answers(model)
    pairs = zip(found.sources, found.targets, strict=True)
    labels = dict(zip(pairs, found.labels.tolist(), strict=True))
    answered = {pair: label for pair, label in labels.items() if label != learn.UNSEEN}
    assert answered == {
        (needs[0].ref, far[0].ref): learn.LIKED,
        (needs[1].ref, close[0].ref): learn.DISMISSED,
    }
    assert found.answered == 2
    # Each answered source brings its other candidates, unjudged.
    unseen = {pair for pair, label in labels.items() if label == learn.UNSEEN}
    assert unseen and {source for source, _ in unseen} <= {needs[0].ref, needs[1].ref}
    assert (needs[1].ref, hidden.ref) not in labels
    assert found.signals.shape == (len(labels), 6)


def test_learn_weights_command_says_what_happened(capsys):
    needs, close, far = _site(needs=3)
    services.rebuild(in_process=True)
    call_command("learn_weights")
    assert "Not enough answers yet" in capsys.readouterr().out
    call_command("learn_weights", "--defaults")
    assert "already uses the defaults" in capsys.readouterr().out


# Staff ---------------------------------------------------------------------------------------


@pytest.fixture
def learned():
    needs, close, far = _site()
    services.rebuild(in_process=True)
    _answer(needs[1:], liked=far, disliked=close)
    return answers.learn_weights()


def _staff(role):
    from django.apps import apps as django_apps
    from django.contrib.auth.models import Group

    from staff.roles import sync_roles

    sync_roles(django_apps)
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_programme_admins_see_the_weights_in_use_and_how_they_were_learned(client, learned):
    client.force_login(_staff("Programme admin"))
    page = client.get(reverse("admin:matching_learnedweights_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Weights the matcher fits with" in text
    assert f"{learned.weights['partner']:.3f}" in text
    assert f"from {learned.answers} answers by {learned.organisations} organisations" in text
    assert f"scored {learned.held_out_learned:.3f} against {learned.held_out_default:.3f}" in text


@pytest.mark.parametrize("role", ["Triager", "Moderator"])
def test_other_staff_roles_do_not_see_the_weights(client, learned, role):
    client.force_login(_staff(role))
    page = client.get(reverse("admin:matching_learnedweights_changelist"))
    assert page.status_code == 403


def test_back_to_the_defaults_is_an_action_that_calls_the_service(client, learned):
    client.force_login(_staff("Programme admin"))
    url = reverse("admin:matching_learnedweights_changelist")
    response = client.post(
        url, {"action": "back_to_defaults", "_selected_action": [learned.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "default weights" in response.content.decode()
    assert answers.weights_in_use() is None
    learned.refresh_from_db()
    assert learned.adopted and not learned.in_use  # the record of what was learned stays


def test_nobody_edits_learned_weights_by_hand(client, learned):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    change = reverse("admin:matching_learnedweights_change", args=[learned.pk])
    response = client.post(change, {"in_use": "", "weights": "{}"})
    assert response.status_code == 403
    learned.refresh_from_db()
    assert learned.in_use


def test_the_weights_page_reads_a_fixed_number_of_queries(
    client, learned, django_assert_max_num_queries
):
    from django.utils import timezone

    LearnedWeights.objects.bulk_create(
        [
            LearnedWeights(learned_at=timezone.now(), reason="Not enough answers yet.")
            for _ in range(40)
        ]
    )
    client.force_login(_staff("Programme admin"))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:matching_learnedweights_changelist"))
    assert page.status_code == 200


def test_a_listing_that_changed_kind_after_an_answer_is_left_out_and_learning_goes_on():
    need = ListingFactory(kind="need", title="Electrolyser test", description=NEED)
    offer = ListingFactory(kind="offer", title="Stack testing", description=CLOSE)
    ListingFactory(kind="offer", title="Stack testing 2", description=CLOSE)
    services.rebuild(in_process=True)
    _answer([need], liked=[offer], disliked=[])
    # The need's owner edits it into an offer (the listing form lets them): offer to offer.
    Listing.objects.filter(pk=need.pk).update(kind="offer")
    services.rebuild(in_process=True)
    _record, model = services.current_model()
    assert answers.collect_answers(model).answered == 0
    row = answers.learn_weights()  # an attempt on record, not an error
    assert "Not enough answers yet: 0 answers" in row.reason


def test_an_introduction_between_two_needs_is_left_out():
    a = ListingFactory(kind="need", title="Electrolyser test", description=NEED)
    b = ListingFactory(kind="need", title="Electrolyser test b", description=CLOSE)
    ListingFactory(kind="offer", title="Stack testing", description=CLOSE)
    services.rebuild(in_process=True)
    IntroductionFactory(source_listing=a, target_listing=b, status="accepted")
    _record, model = services.current_model()
    assert answers.collect_answers(model).answered == 0
    assert answers.learn_weights().pk


def _adopted_row():
    from django.utils import timezone

    return LearnedWeights.objects.create(
        learned_at=timezone.now(), adopted=True, weights=engine.DEFAULTS.signal_weights()
    )


def test_a_new_adoption_replaces_the_weights_in_use():
    first, second = _adopted_row(), _adopted_row()
    answers._put_in_use(first)
    answers._put_in_use(second)
    assert list(LearnedWeights.objects.filter(in_use=True)) == [second]


@pytest.mark.django_db(transaction=True)
def test_two_runs_putting_weights_in_use_at_once_leave_exactly_one(settings):
    """The nightly task and `manage.py learn_weights` at the same moment: neither fails, and
    one row is in use. (On SQLite the writes queue up; the race is real on PostgreSQL.)"""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (CI runs the suite again with DATABASE_URL=postgres://...)")
    for _ in range(5):
        LearnedWeights.objects.update(in_use=False)
        rows = [_adopted_row(), _adopted_row()]
        start, errors = threading.Barrier(2), []

        def run(row, start=start, errors=errors):
            try:
                start.wait()
                answers._put_in_use(row)
            except Exception as exc:  # noqa: BLE001 - the test reports any failure
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run, args=(row,)) for row in rows]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert LearnedWeights.objects.filter(in_use=True).count() == 1
