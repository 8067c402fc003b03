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
