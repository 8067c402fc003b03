"""Shared fixtures: small exchange documents and the service checks that gate real-part tests."""

import copy
import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, message: str) -> None:
    """Skip a test that needs a missing service locally; under CI=true, fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


SMALL_DOCUMENT = {
    "format": "cluster-exchange/1",
    "clusters": [
        {
            "slug": "humber",
            "name": "Humber",
            "region": "Yorkshire and the Humber",
            "emissions_mtco2": 12.4,
            "summary": "Refineries, steel and chemicals on the Humber estuary.",
        }
    ],
    "challenges": [
        {
            "ref": "ch-humber-capture",
            "cluster": "humber",
            "title": "Capture CO2 from refinery heaters",
            "description": "Dozens of small stacks need capturing solutions.",
            "themes": ["ccus"],
            "status": "open",
        },
        {
            "ref": "ch-teesside-heat",
            "cluster": "teesside",
            "title": "Recover waste heat from chemical parks",
            "description": "Low-grade heat is vented at Wilton.",
            "themes": ["energy-efficiency"],
        },
    ],
    "organisations": [
        {
            "ref": "org-1",
            "name": "Amine Works Ltd",
            "kind": "business",
            "description": "Solvent-based carbon capture.",
            "clusters": ["humber", "teesside"],
            "website": "https://amine.example",
        },
        {
            "ref": "org-2",
            "name": "Estuary Refining",
            "kind": "business",
            "description": "A refinery operator.",
            "clusters": ["humber"],
        },
    ],
    "listings": [
        {
            "ref": "L-0001",
            "organisation": "org-1",
            "kind": "offer",
            "title": "Modular amine capture units",
            "description": "Skid-mounted capture plant for stacks of 50 to 500 kt a year.",
            "themes": ["ccus"],
            "clusters": ["humber"],
            "challenge": "ch-humber-capture",
            "status": "published",
        },
        {
            "ref": "L-0002",
            "organisation": "org-2",
            "kind": "need",
            "title": "Who can capture CO2 from our FCC regenerator?",
            "description": "Dusty flue gas, about 12% CO2.",
            "themes": ["ccus"],
            "clusters": ["humber"],
            "challenge": "ch-humber-capture",
        },
        {
            "ref": "L-0003",
            "organisation": "org-2",
            "kind": "need",
            "title": "Heat pump for a drying line",
            "description": "",
            "themes": [],
            "clusters": [],
            "challenge": None,
            "status": "pending",
        },
    ],
}


@pytest.fixture
def exchange_doc():
    """A small valid exchange document that the test may change freely."""
    return copy.deepcopy(SMALL_DOCUMENT)


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Rate limits count in the cache, a database table as in a local run (the test runner
    creates it), and public pages are cached: start every test that uses the database from
    zero. A test without the
    database cannot reach the cache either."""
    if request.node.get_closest_marker("django_db") is None and (
        "django_db_setup" not in request.fixturenames
    ):
        return
    # pytest-django works out from the test's marker and fixtures whether this database is
    # transactional; asking for "db" here only sets it up earlier.
    request.getfixturevalue("db")
    from django.core.cache import cache, caches

    cache.clear()
    # Pages cached by an earlier test (pagecache/) show data that test rolled back.
    caches["pages"].clear()


@pytest.fixture
def member(db):
    """A verified user, admin of an approved organisation."""
    from tests.factories import MembershipFactory

    return MembershipFactory().user


@pytest.fixture
def organisation(member):
    return member.memberships.get().organisation


@pytest.fixture
def outsider(db):
    """A verified user of a second, unrelated organisation."""
    from tests.factories import MembershipFactory

    return MembershipFactory().user


@pytest.fixture
def staff(db):
    from tests.factories import UserFactory

    return UserFactory(is_staff=True, is_superuser=True)


# Staff in each role (staff.roles), for any app's tests.


@pytest.fixture
def mfa_off(settings):
    """For tests about something other than the second factor."""
    settings.STAFF_REQUIRE_MFA = False


@pytest.fixture
def triager(db):
    from staff.roles import TRIAGER
    from tests.factories import staff_in

    return staff_in(TRIAGER)


@pytest.fixture
def moderator(db):
    from staff.roles import MODERATOR
    from tests.factories import staff_in

    return staff_in(MODERATOR)


@pytest.fixture
def programme_admin(db):
    from staff.roles import PROGRAMME_ADMIN
    from tests.factories import staff_in

    return staff_in(PROGRAMME_ADMIN)


def confirm_it_is_you(client, password: str = "a long enough password") -> None:
    """Give the password again, as the site asks before a sensitive change (adding an email
    address, deleting the account): allauth's reauthentication, through its own page."""
    from django.urls import reverse

    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content.decode()[:500]
