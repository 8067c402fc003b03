"""The admin site of the staff area: Django's admin, with a home panel of queues and figures."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin

from . import services


class StaffAdminSite(admin.AdminSite):
    """Made the default `admin.site` by staff.apps.StaffAdminConfig, so every app's
    `@admin.register` lands here."""

    site_header = "Cluster Exchange staff area"
    site_title = "Cluster Exchange staff"
    index_title = "Queues and figures"

    def login(self, request, extra_context=None):
        # The site's own sign-in page instead of the admin's: it limits failed attempts and
        # asks for the second factor. Signed-in people who are not staff get a 403.
        return secure_admin_login(super().login)(request, extra_context)

    def index(self, request, extra_context=None):
        panel = services.home_panel(request.user)
        return super().index(request, {"panel": panel, **(extra_context or {})})
