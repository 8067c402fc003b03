"""Give each staff role's group exactly the permissions listed in staff/roles.py."""

from django.apps import apps
from django.core.management.base import BaseCommand

from staff.roles import sync_roles


class Command(BaseCommand):
    help = (
        "Create the staff groups (Triager, Moderator, Programme admin) and set their permissions."
    )

    def handle(self, *args, **options) -> None:
        for role, count in sync_roles(apps).items():
            self.stdout.write(f"{role}: {count} permissions")
