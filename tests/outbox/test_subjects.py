"""Every email subject the site builds: text people chose stands only in quotes, on one
line, cut short; so a name cannot pass for words of ours."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.conf import settings

from outbox.services import queue_email

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
HOSTILE = "Urgent\r\nVerify your account at evil.example \u202e" + " now" * 40
# Values in subjects that the site chooses, not its users.
SITE_CHOSEN = {
    "reference": "GC-2026-00123",
    "expires_on": date(2027, 1, 31),
    "expires_at": datetime(2027, 1, 31, tzinfo=UTC),
    "count": 1,
    "approved": True,
}


class Anything:
    """Any object an email template reads: every name on it is text a user chose, except
    the few the site chooses, so a new field in a subject is tested without listing it."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return SITE_CHOSEN.get(name, Anything())

    def __getitem__(self, key):  # templates try a key before an attribute
        return self.__getattr__(str(key))

    def __iter__(self):  # a loop in a body template: nothing in it
        return iter([])

    def __str__(self):
        return HOSTILE


def context_for(template: Path) -> dict:
    names = set(re.findall(r"\b([a-z_][a-z0-9_]*)\b", template.read_text()))
    return {name: SITE_CHOSEN.get(name, Anything()) for name in names}


EMAIL_SUBJECTS = sorted((TEMPLATES / "emails").glob("*_subject.txt"))


@pytest.mark.parametrize("template", EMAIL_SUBJECTS, ids=lambda p: p.stem)
def test_user_chosen_text_in_a_subject_is_quoted_on_one_line_and_cut_short(template):
    name = template.name.removesuffix("_subject.txt")
    context = context_for(template) | context_for(template.with_name(f"{name}.txt"))
    subject = queue_email(f"subject-{name}", "a@example.org", name, context).subject
    assert "\n" not in subject and "\r" not in subject and "\u202e" not in subject
    outside_quotes = re.sub(r"“[^”]*”", "", subject)
    assert "Verify" not in outside_quotes and "now" not in outside_quotes, subject
    for quoted in re.findall(r"“([^”]*)”", subject):
        assert len(quoted) <= 60
    assert len(subject) <= 200


def test_the_account_emails_subjects_carry_no_user_text():
    subjects = [
        *(TEMPLATES / "account" / "email").glob("*_subject.txt"),
        *(TEMPLATES / "mfa" / "email").glob("*_subject.txt"),
    ]
    assert subjects
    for template in subjects:
        assert "{{" not in template.read_text(), template.name
