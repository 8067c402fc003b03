"""App config for enquiries: GrandChallenges enquiries from the web form and the mailbox."""

from django.apps import AppConfig


class EnquiriesConfig(AppConfig):
    name = "enquiries"
    verbose_name = "GrandChallenges enquiries"
