"""Fuzzing the staff area's lists: search, sort, page and filter parameters of every admin
list, typed into the address by each staff role, never answer with a server error."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from staff.roles import MODERATOR, PROGRAMME_ADMIN, TRIAGER
from tests.factories import UserFactory
from tests.fuzz.strategies import fuzz_more, odd_text, raw_query, send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]

LISTS = sorted(
    reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    for model in admin.site._registry
)
# Django's own list parameters, and lookups an attacker might type for any field.
NAMES = ["q", "o", "p", "e", "all", "_popup", "_to_field", "status", "status__exact", "type"]
NAMES += ["pk", "id__gt", "created_at__gte", "created_at__lt", "organisation__id__exact"]
NAMES += ["token__startswith", "sealed__icontains", "data__icontains", "body_text__contains"]


@pytest.fixture(params=["superuser", TRIAGER, MODERATOR, PROGRAMME_ADMIN])
def staff_client(client, request):
    if request.param == "superuser":
        user = UserFactory(is_staff=True, is_superuser=True)
    else:
        user = UserFactory(is_staff=True)
        user.groups.add(Group.objects.get(name=request.param))
    client.force_login(user)
    return client


@fuzz_more(2)
@given(
    path=st.sampled_from(LISTS),
    query=st.dictionaries(st.sampled_from(NAMES), odd_text(max_size=40), max_size=4),
)
def test_admin_lists_never_fail_whatever_is_typed_into_the_address(staff_client, path, query):
    send(staff_client, "get", path, query)


@fuzz_more(1)
@given(path=st.sampled_from(LISTS), query=raw_query(NAMES))
def test_admin_lists_never_fail_on_raw_bytes_in_the_query(staff_client, path, query):
    send(staff_client, "get", f"{path}?{query}")
