"""Second factors in the admin: a superuser sees that one exists, never its secret."""

import pytest
from django.urls import reverse

from tests.factories import AuthenticatorFactory

pytestmark = pytest.mark.django_db


def test_no_admin_page_shows_a_second_factors_secret_superusers_included(client, staff):
    authenticator = AuthenticatorFactory()
    secret = authenticator.data["secret"]
    client.force_login(staff)

    pages = [
        reverse("admin:mfa_authenticator_changelist"),
        reverse("admin:mfa_authenticator_changelist") + f"?q={secret[:12]}",
        reverse("admin:mfa_authenticator_change", args=[authenticator.pk]),
        reverse("admin:mfa_authenticator_history", args=[authenticator.pk]),
        reverse("admin:mfa_authenticator_delete", args=[authenticator.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert secret not in response.content.decode(), url
    # Searching or filtering by the secret's start must not find the row (no oracle).
    assert client.get(pages[1]).context["cl"].result_count == 0
    typed = client.get(pages[0] + f"?data__icontains={secret[:12]}")
    assert typed.status_code != 200 or typed.context["cl"].result_count == 0


def test_a_superuser_cannot_change_a_second_factor_through_the_admin(client, staff):
    authenticator = AuthenticatorFactory()
    before = dict(authenticator.data)
    client.force_login(staff)

    response = client.post(
        reverse("admin:mfa_authenticator_change", args=[authenticator.pk]),
        {"user": staff.pk, "type": "totp", "data": '{"secret": "ATTACKER"}'},
    )

    assert response.status_code == 403
    authenticator.refresh_from_db()
    assert authenticator.data == before and authenticator.user_id != staff.pk
    assert client.get(reverse("admin:mfa_authenticator_add")).status_code == 403
