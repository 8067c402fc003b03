"""Fixtures for reports: staff in each role (the second factor off), and report helpers."""

import pytest
from django.contrib.auth.models import Group

from staff.roles import MODERATOR, PROGRAMME_ADMIN, TRIAGER
from tests.factories import UserFactory


def staff_in(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def mfa_off(settings):
    settings.STAFF_REQUIRE_MFA = False


@pytest.fixture
def triager(db):
    return staff_in(TRIAGER)


@pytest.fixture
def moderator(db):
    return staff_in(MODERATOR)


@pytest.fixture
def programme_admin(db):
    return staff_in(PROGRAMME_ADMIN)
