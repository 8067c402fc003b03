"""The 403 page tells a member of staff whose role does not include a page to ask a programme
admin for a role that does, not to write in through the public contact form (usability
probe, stop 30). Everyone else still reads the public advice."""

import pytest
from django.urls import reverse

from staff.roles import TRIAGER
from tests.factories import UserFactory, staff_in

pytestmark = pytest.mark.django_db

PUBLIC_ADVICE = "get in touch with the programme team"
STAFF_ADVICE = "ask a programme admin to change your role"


@pytest.mark.usefixtures("mfa_off")
def test_staff_refused_a_page_their_role_does_not_include_are_told_to_ask_a_programme_admin(
    client,
):
    client.force_login(staff_in(TRIAGER))
    response = client.get(reverse("insights:staff-gaps"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "You cannot see this page" in page
    assert "Your staff role does not include this page" in page
    assert STAFF_ADVICE in page
    assert PUBLIC_ADVICE not in page
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert reverse("enquiries:create") not in main  # the site's footer may still link it
    assert f'href="{reverse("admin:index")}"' in page


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("who", ["nobody", "member"])
def test_people_who_are_not_staff_still_read_the_public_advice(client, who):
    if who == "member":
        client.force_login(UserFactory())
    response = client.get("/refused/")
    page = response.content.decode()
    assert response.status_code == 403
    assert PUBLIC_ADVICE in page
    assert reverse("enquiries:create") in page
    assert "staff role" not in page
    assert STAFF_ADVICE not in page
