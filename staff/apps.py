"""App configs for the staff area, and for the admin site it customises."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Staff area"
    default = True


class StaffAdminConfig(admin_apps.AdminConfig):
    """Replaces "django.contrib.admin" in INSTALLED_APPS: the same admin, with our site."""

    default_site = "staff.admin.StaffAdminSite"
    default = False

    def ready(self):
        # Before the admin's modules register their ModelAdmins, which copy these defaults:
        # every date-and-time field in the admin gets boxes with names (staff/widgets.py).
        from django.contrib.admin import options
        from django.db import models

        from .widgets import LabelledSplitDateTime

        options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.DateTimeField]["widget"] = (
            LabelledSplitDateTime
        )
        # Read-only foreign keys link only to pages the reader may open.
        from config.admin_links import install

        install()
        super().ready()
