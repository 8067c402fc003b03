"""App config for accounts: users, privacy consent, download and deletion of personal data."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
