"""The admin permission matrix: every staff role (and a superuser, a signed-in member and an
anonymous visitor) against every admin page and every admin action, with the answer each
must get. The pages and actions come from `admin.site._registry`, so a model registered,
or an action added, without a row in the tables below fails here until someone decides
who may use it.
"""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from staff.roles import MODERATOR, PROGRAMME_ADMIN, ROLES, TRIAGER
from tests.enquiries.conftest import make_enquiry
from tests.factories import (
    ChallengeFactory,
    ClusterFactory,
    ClusterTeamMemberFactory,
    ListingFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.funding.factories import FundingCallFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_off")]

SUPERUSER = "superuser"
MEMBER = "member (not staff)"
ANONYMOUS = "anonymous"
STAFF = (TRIAGER, MODERATOR, PROGRAMME_ADMIN, SUPERUSER)
PEOPLE = (*STAFF, MEMBER, ANONYMOUS)

# Pages: l = list, a = add, c = change, v = the change page read-only (may view, not change),
# d = delete, h = history. A role gets 200 on the pages listed for it and 403 on every other
# one; a role missing from a model's row gets 403 everywhere. People who are not staff, signed in or
# not, are sent to the sign-in page from every page.
PAGES = {
    "auth.group": {SUPERUSER: "lacdh"},
    "django_celery_beat.periodictask": {SUPERUSER: "lacdh"},
    "django_celery_beat.clockedschedule": {SUPERUSER: "lacdh"},
    "django_celery_beat.crontabschedule": {SUPERUSER: "lacdh"},
    "django_celery_beat.solarschedule": {SUPERUSER: "lacdh"},
    "django_celery_beat.intervalschedule": {SUPERUSER: "lacdh"},
    "account.emailaddress": {SUPERUSER: "lacdh"},
    # Second factors: seen to exist and deleted (a lost phone), never shown or edited.
    "mfa.authenticator": {SUPERUSER: "lvdh"},
    # Programme admins look people up; changing users stays with superusers.
    "accounts.user": {PROGRAMME_ADMIN: "lvh", SUPERUSER: "lacdh"},
    # Read-only for everyone: nobody adds or edits an email.
    "outbox.email": {PROGRAMME_ADMIN: "lvdh", SUPERUSER: "lvdh"},
    "api.apitoken": {PROGRAMME_ADMIN: "lvh", SUPERUSER: "lvh"},
    "clusters.theme": {PROGRAMME_ADMIN: "lacdh", SUPERUSER: "lacdh"},
    "clusters.cluster": {PROGRAMME_ADMIN: "lacdh", SUPERUSER: "lacdh"},
    "clusters.challenge": {PROGRAMME_ADMIN: "lacdh", SUPERUSER: "lacdh"},
    # Moderators read organisations and listings (the change page is read-only to them).
    "clusters.organisation": {MODERATOR: "lvh", PROGRAMME_ADMIN: "lacdh", SUPERUSER: "lacdh"},
    "clusters.listing": {MODERATOR: "lvh", PROGRAMME_ADMIN: "lacdh", SUPERUSER: "lacdh"},
    # Invitations are made by members through the service: read-only here.
    "clusters.invitation": {PROGRAMME_ADMIN: "lvdh", SUPERUSER: "lvdh"},
    "matching.matchingrun": {PROGRAMME_ADMIN: "lvdh", SUPERUSER: "lvdh"},
    "matching.matchingwork": {PROGRAMME_ADMIN: "lvdh", SUPERUSER: "lvdh"},
    "matching.matchmodel": {PROGRAMME_ADMIN: "lvdh", SUPERUSER: "lvdh"},
    "matching.match": {PROGRAMME_ADMIN: "lvdh", SUPERUSER: "lvdh"},
    "matching.learnedweights": {PROGRAMME_ADMIN: "lvh", SUPERUSER: "lvh"},
    "introductions.introduction": {PROGRAMME_ADMIN: "lcdh", SUPERUSER: "lcdh"},
    # Enquiries arrive by form or mailbox: nobody adds one, and triagers never delete.
    "enquiries.enquiry": {TRIAGER: "lch", PROGRAMME_ADMIN: "lcdh", SUPERUSER: "lcdh"},
    "enquiries.enquiryevent": {TRIAGER: "lvh", PROGRAMME_ADMIN: "lvh", SUPERUSER: "lvh"},
    # People ask to join a cluster team from the site; staff decide only through the actions.
    "teams.clusterteammember": {MODERATOR: "lvh", PROGRAMME_ADMIN: "lvh", SUPERUSER: "lvh"},
    # Reports come from visitors and are decided by actions: nobody adds or edits one.
    "reports.report": {MODERATOR: "lvh", PROGRAMME_ADMIN: "lvh", SUPERUSER: "lvh"},
    # Programme admins publish funding calls; moderators may read them.
    "funding.fundingcall": {MODERATOR: "lvh", PROGRAMME_ADMIN: "lacdh", SUPERUSER: "lacdh"},
    # Webhooks are their owners': staff read them (never a secret) and turn endpoints off.
    "webhooks.endpoint": {PROGRAMME_ADMIN: "lvh", SUPERUSER: "lvh"},
    "webhooks.delivery": {PROGRAMME_ADMIN: "lvh", SUPERUSER: "lvh"},
}
PAGE_LETTERS = {"l": "changelist", "a": "add", "c": "change", "d": "delete", "h": "history"}
VIEW_ONLY = "200, read-only"

# Actions: the roles that may run each one. Any other staff role that can open the list is
# refused the action (the list answers "No action selected" and nothing runs); one that
# cannot open the list gets 403. People who are not staff are sent to the sign-in page.
ADMINS = {PROGRAMME_ADMIN, SUPERUSER}
ONLY_SUPERUSER = {SUPERUSER}
ACTIONS = {
    "auth.group": {"delete_selected": ONLY_SUPERUSER},
    "django_celery_beat.periodictask": {
        "delete_selected": ONLY_SUPERUSER,
        "enable_tasks": ONLY_SUPERUSER,
        "disable_tasks": ONLY_SUPERUSER,
        "toggle_tasks": ONLY_SUPERUSER,
        "run_tasks": ONLY_SUPERUSER,
    },
    "django_celery_beat.clockedschedule": {"delete_selected": ONLY_SUPERUSER},
    "django_celery_beat.crontabschedule": {"delete_selected": ONLY_SUPERUSER},
    "django_celery_beat.solarschedule": {"delete_selected": ONLY_SUPERUSER},
    "django_celery_beat.intervalschedule": {"delete_selected": ONLY_SUPERUSER},
    "account.emailaddress": {"delete_selected": ONLY_SUPERUSER, "make_verified": ONLY_SUPERUSER},
    "mfa.authenticator": {"delete_selected": ONLY_SUPERUSER},
    "accounts.user": {"delete_selected": ONLY_SUPERUSER},
    "outbox.email": {"delete_selected": ADMINS},
    "api.apitoken": {"revoke": ADMINS, "delete_selected": set()},
    "clusters.theme": {"delete_selected": ADMINS},
    "clusters.cluster": {"delete_selected": ADMINS},
    "clusters.challenge": {"delete_selected": ADMINS, "close": ADMINS, "reopen": ADMINS},
    "clusters.organisation": {
        "delete_selected": ADMINS,
        "approve": {MODERATOR, *ADMINS},
        "reject": {MODERATOR, *ADMINS},
        "approve_change": {MODERATOR, *ADMINS},
        "reject_change": {MODERATOR, *ADMINS},
        "remove_logo": {MODERATOR, *ADMINS},
    },
    "clusters.listing": {
        "delete_selected": ADMINS,
        "publish_pending": {MODERATOR, *ADMINS},
        "unpublish": {MODERATOR, *ADMINS},
        "restore": {MODERATOR, *ADMINS},
        "keep_down": {MODERATOR, *ADMINS},
    },
    "clusters.invitation": {"delete_selected": ADMINS},
    "matching.matchingrun": {"delete_selected": ADMINS},
    "matching.matchingwork": {"delete_selected": ADMINS},
    "matching.matchmodel": {"delete_selected": ADMINS},
    "matching.match": {"delete_selected": ADMINS},
    "matching.learnedweights": {"back_to_defaults": ADMINS, "delete_selected": set()},
    "introductions.introduction": {"delete_selected": ADMINS},
    "enquiries.enquiry": {
        "delete_selected": ADMINS,
        **{
            name: {TRIAGER, *ADMINS}
            for name in [
                "assign_to_me",
                "set_likely_cluster",
                "mark_triaged",
                "mark_waiting",
                "mark_closed",
                "mark_spam",
                "export_csv",
            ]
        },
    },
    # The history is written only by the services: nobody deletes from it.
    "enquiries.enquiryevent": {"delete_selected": set()},
    "teams.clusterteammember": {
        "delete_selected": set(),
        "approve": {MODERATOR, *ADMINS},
        "reject": {MODERATOR, *ADMINS},
        "remove": {MODERATOR, *ADMINS},
    },
    "reports.report": {
        "delete_selected": set(),
        "dismiss": {MODERATOR, *ADMINS},
        "take_down": {MODERATOR, *ADMINS},
        "refer": {MODERATOR, *ADMINS},
        "resolve": ADMINS,
    },
    "funding.fundingcall": {
        "delete_selected": ADMINS,
        "close": ADMINS,
        "reopen": ADMINS,
    },
    "webhooks.endpoint": {"delete_selected": set(), "deactivate": ADMINS},
    "webhooks.delivery": {"delete_selected": set()},
}


def make_rows() -> dict:
    """One row of every registered model, for its change, delete and history pages."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    from api.services import create_token
    from clusters.models import Invitation, Theme
    from enquiries.models import EnquiryEvent
    from introductions.models import Introduction
    from matching.models import LearnedWeights, Match, MatchingRun, MatchingWork, MatchModel
    from outbox.models import Email
    from reports.services import submit_report
    from webhooks.models import Delivery, Endpoint

    now = timezone.now()
    person = UserFactory()
    interval = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    ours, theirs = ListingFactory(), ListingFactory()
    enquiry = make_enquiry()
    endpoint = Endpoint.objects.create(
        user=person, url="https://93.184.215.14/hook", secret_sealed="-", secret_hint="abcd"
    )
    return {
        "webhooks.endpoint": endpoint,
        "webhooks.delivery": Delivery.objects.create(
            endpoint=endpoint, event="ping", event_id="ping:1", payload={}, next_attempt_at=now
        ),
        "auth.group": Group.objects.create(name="A group for the matrix"),
        # Not a registered task, so "run" reports it and sends nothing.
        "django_celery_beat.periodictask": PeriodicTask.objects.create(
            name="matrix", task="matrix.no_such_task", interval=interval
        ),
        "django_celery_beat.clockedschedule": ClockedSchedule.objects.create(clocked_time=now),
        "django_celery_beat.crontabschedule": CrontabSchedule.objects.create(),
        "django_celery_beat.solarschedule": SolarSchedule.objects.create(
            event="sunrise", latitude=53.7, longitude=-0.3
        ),
        "django_celery_beat.intervalschedule": interval,
        "account.emailaddress": EmailAddress.objects.get(user=person),
        "mfa.authenticator": Authenticator.objects.create(
            user=person, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00"}
        ),
        "accounts.user": person,
        "api.apitoken": create_token(UserFactory(), "Matrix", "read")[0],
        "outbox.email": Email.objects.create(
            key="matrix", to="someone@example.org", subject="Hello", body_text="Hello"
        ),
        "clusters.theme": Theme.objects.get(slug="ccus"),
        "clusters.cluster": ClusterFactory(),
        "clusters.challenge": ChallengeFactory(),
        "clusters.organisation": OrganisationFactory(),
        "clusters.listing": ours,
        "clusters.invitation": Invitation.objects.create(
            organisation=ours.organisation, email="new@example.org", token="matrix-token"
        ),
        "matching.matchingrun": MatchingRun.objects.create(kind=MatchingRun.Kind.LISTING),
        "matching.matchingwork": MatchingWork.objects.create(kind=MatchingWork.Kind.LISTING),
        "matching.matchmodel": MatchModel.objects.create(version="matrix", fitted_at=now),
        "matching.learnedweights": LearnedWeights.objects.create(learned_at=now),
        "matching.match": Match.objects.create(
            source_key=f"listing:{ours.pk}",
            source_listing=ours,
            target=theirs,
            score=0.5,
            engine_version="matrix",
            computed_at=now,
        ),
        "introductions.introduction": Introduction.objects.create(
            source_listing=ours,
            target_listing=theirs,
            from_organisation=ours.organisation,
            to_organisation=theirs.organisation,
            message="Shall we talk?",
            expires_at=now + timedelta(days=30),
        ),
        "enquiries.enquiry": enquiry,
        "enquiries.enquiryevent": EnquiryEvent.objects.create(enquiry=enquiry, field="status"),
        "teams.clusterteammember": ClusterTeamMemberFactory(status="pending"),
        "reports.report": submit_report(ours, reason="spam", details="An advert."),
        "funding.fundingcall": FundingCallFactory(),
    }


def person(who):
    if who == ANONYMOUS:
        return None
    if who == MEMBER:
        return MembershipFactory().user
    if who == SUPERUSER:
        return UserFactory(is_staff=True, is_superuser=True)
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=who))
    return user


def registered() -> dict:
    return {
        model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()
    }


def page_url(label: str, page: str, row) -> str:
    app_label, model_name = label.split(".")
    name = f"admin:{app_label}_{model_name}_{page}"
    return reverse(name) if page in ("changelist", "add") else reverse(name, args=[row.pk])


def answer(response, page: str) -> str:
    if response.status_code == 302 and "/admin/login/" in response["Location"]:
        return "sign in"
    changing = page == "change" and response.status_code == 200
    if changing and not response.context["has_change_permission"]:
        return VIEW_ONLY
    return str(response.status_code)


def action_answer(client, response) -> str:
    """ "ran", "refused", "403" or "sign in"."""
    if response.status_code == 403:
        return "403"
    if response.status_code == 302:
        if "/admin/login/" in response["Location"]:
            return "sign in"
        # Follow the redirect back to the list, which shows (and so uses up) the messages.
        shown = client.get(response["Location"])
        if "No action selected." in [str(m) for m in shown.context["messages"]]:
            return "refused"  # the action is not among this person's choices
        return "ran"
    if response.templates and response.templates[0].name.endswith("change_list.html"):
        return "refused"  # this person has no action at all on this list
    return "ran"  # its confirmation or reason page, or its file


def expected_page(label: str, who: str, page: str) -> str:
    if who in (MEMBER, ANONYMOUS):
        return "sign in"
    letters = PAGES[label].get(who, "")
    if page == "change" and "v" in letters:
        return VIEW_ONLY
    allowed = {PAGE_LETTERS[letter] for letter in letters if letter in PAGE_LETTERS}
    return "200" if page in allowed else "403"


def expected_action(label: str, who: str, action: str) -> str:
    if who in (MEMBER, ANONYMOUS):
        return "sign in"
    if who in ACTIONS[label][action]:
        return "ran"
    can_open_list = "l" in PAGES[label].get(who, "")
    return "refused" if can_open_list else "403"


def test_every_registered_model_and_action_has_a_row_in_the_tables():
    admins = registered()
    assert set(PAGES) == set(admins), "add the model to PAGES (and ACTIONS, make_rows)"
    assert set(ACTIONS) == set(admins)
    for label, model_admin in admins.items():
        offered = {name for _, name, _ in model_admin._get_base_actions()}
        assert set(ACTIONS[label]) == offered, label


def test_the_table_roles_are_the_roles_that_exist():
    assert set(ROLES) == {TRIAGER, MODERATOR, PROGRAMME_ADMIN}


@pytest.mark.parametrize("who", PEOPLE)
def test_each_person_gets_the_expected_answer_on_every_admin_page(client, who):
    user = person(who)
    rows = make_rows()
    if user is not None:
        client.force_login(user)
    wrong = []
    for label in registered():
        for page in PAGE_LETTERS.values():
            got = answer(client.get(page_url(label, page, rows[label])), page)
            if got != expected_page(label, who, page):
                wrong.append(f"{label} {page}: {got}, expected {expected_page(label, who, page)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("who", PEOPLE)
def test_each_person_gets_the_expected_answer_to_every_admin_action(client, who):
    user = person(who)
    rows = make_rows()
    if user is not None:
        client.force_login(user)
    wrong = []
    for label, model_admin in registered().items():
        for _, action, _ in model_admin._get_base_actions():
            # Actions that ask for a reason show their form first: nothing is applied here.
            response = client.post(
                page_url(label, "changelist", None),
                {"action": action, "_selected_action": [rows[label].pk]},
            )
            got = action_answer(client, response)
            if got != expected_action(label, who, action):
                wrong.append(
                    f"{label} {action}: {got}, expected {expected_action(label, who, action)}"
                )
    assert not wrong, "\n".join(wrong)


ADMIN_OBJECT_LINK = re.compile(r'href="(/admin/[a-z_]+/[a-z_]+/[^/"?#]+/change/)"')


@pytest.mark.parametrize("who", STAFF)
def test_every_link_to_an_object_on_a_page_a_role_can_open_opens_for_it(client, who):
    """Django links each read-only foreign key to the related object's page whatever the
    reader may open: a moderator reading a listing was offered its challenge and the
    account that made it, which answered 403 (outside probe, stop 28). config/admin_links.py makes
    such a link text; here every object link on every change page a role can open must open
    for that role."""
    client.force_login(person(who))
    rows = make_rows()
    dead, followed = [], set()
    for label in registered():
        if expected_page(label, who, "change") == "403":
            continue
        page = client.get(page_url(label, "change", rows[label])).content.decode()
        for link in sorted(set(ADMIN_OBJECT_LINK.findall(page)) - followed):
            followed.add(link)
            status = client.get(link).status_code
            if status != 200:
                dead.append(f"{label}: {link} answers {status}")
    assert not dead, "\n".join(dead)
    assert followed  # the pages do link to objects (organisations, listings, ...)
