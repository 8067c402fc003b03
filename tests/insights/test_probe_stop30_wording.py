"""The staff gap analysis and funnel pages look like the rest of the staff area and speak
plainly to a programme officer (usability probe, stop 30)."""

import pytest
from django.urls import reverse

from insights import services
from staff.roles import MODERATOR
from tests.factories import staff_in
from tests.insights.world import build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_off")]

STAFF_PAGES = [reverse("insights:staff-gaps"), reverse("insights:staff-funnel")]


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_insights_pages_carry_the_staff_areas_name_not_djangos(client, url):
    client.force_login(staff_in(MODERATOR))
    page = client.get(url).content.decode()
    assert "Cluster Exchange staff area" in page
    assert "| Cluster Exchange staff</title>" in page
    assert "Django administration" not in page
    assert "Django site admin" not in page


@pytest.mark.parametrize("computed", [False, True])
@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_insights_pages_speak_no_developer_jargon(client, url, computed):
    if computed:
        build()
        services.compute_insights()
    client.force_login(staff_in(MODERATOR))
    page = client.get(url).content.decode()
    assert "manage.py" not in page
    assert "compute_insights" not in page
    assert "<code>" not in page
    assert "every hour" in page


def test_the_gap_analysis_says_what_a_strong_match_is_in_words_not_a_score(client):
    build()
    computation = services.compute_insights()
    client.force_login(staff_in(MODERATOR))
    page = client.get(STAFF_PAGES[0]).content.decode()
    assert f"at least {computation.details['strong_from']}" not in page
    assert "scores at least" not in page
    assert "rates a suggestion between it and an offer" in page
