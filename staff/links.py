"""Read-only foreign keys in the admin link only to pages the reader may open.

Django's admin shows a read-only foreign key (every field, to a role without "change") as a
link to the related object's admin page, whatever the reader's permissions: a moderator
reading a listing was offered its challenge and the account that made it, and each link
answered 403 (outside probe, stop 28). Django gives that link no request to check against
(AdminReadonlyField.get_admin_url), so AdminReaderMiddleware keeps the request in a context
variable for the while it is answered, rendering included, and install() makes the link
plain text unless the related model's admin lets this reader view or change that object.
"""

from contextvars import ContextVar

from django.contrib.admin import helpers

_reader: ContextVar = ContextVar("admin_reader", default=None)


class AdminReaderMiddleware:
    """Keeps the request being answered within reach of the admin's read-only fields."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _reader.set(request)
        try:
            return self.get_response(request)
        finally:
            _reader.reset(token)


def may_open(model_admin, model, obj) -> bool:
    """Whether the request being answered may open `obj`'s admin page (False outside one)."""
    request = _reader.get()
    target = model_admin.admin_site._registry.get(model)
    return bool(
        request is not None
        and target is not None
        and target.has_view_or_change_permission(request, obj)
    )


def install() -> None:
    """Once, from the admin's AppConfig.ready."""
    linked = helpers.AdminReadonlyField.get_admin_url
    if getattr(linked, "checks_permissions", False):
        return

    def get_admin_url(self, remote_field, remote_obj):
        if not may_open(self.model_admin, remote_field.model, remote_obj):
            return str(remote_obj)
        return linked(self, remote_field, remote_obj)

    get_admin_url.checks_permissions = True
    helpers.AdminReadonlyField.get_admin_url = get_admin_url
