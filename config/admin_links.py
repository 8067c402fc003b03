"""Read-only foreign keys in the admin link only to pages the reader may open.

Django's admin shows a read-only foreign key (every field, to a role without "change") as a
link to the related object's admin page, whatever the reader's permissions: a moderator
reading a listing was offered its challenge and the account that made it, and each link
answered 403 (outside probe, stop 28). Django gives that link no request to check against
(AdminReadonlyField.get_admin_url), so AdminReaderMiddleware keeps the request in a context
variable for the while it is answered, rendering included, and install() makes the link
plain text unless the related model's admin lets this reader view or change that object.

`may_open` is also how the clusters admin decides whether a person's name links to their
page (a moderator may not open people's pages). It lives in `config` so that every app's
admin can ask it; staff/apps.py installs the patch.
"""

from contextvars import ContextVar

from django.contrib.admin import helpers

_reader: ContextVar = ContextVar("admin_reader", default=None)


class AdminReaderMiddleware:
    """Keeps the request being answered within reach of the admin's read-only fields. For
    every request: one context-variable set and reset costs less than working out whether
    the path is the admin's (a reverse() per request, which stop 31 had added)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _reader.set(request)
        try:
            return self.get_response(request)
        finally:
            _reader.reset(token)


def may_open(admin_site, model, obj=None) -> bool:
    """Whether the request being answered may open `obj`'s admin page (any of `model`'s
    when `obj` is None). False outside a request, or for a model the site does not show."""
    request = _reader.get()
    target = admin_site._registry.get(model)
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
    _install_readonly_words()

    def get_admin_url(self, remote_field, remote_obj):
        if not may_open(self.model_admin.admin_site, remote_field.model, remote_obj):
            return str(remote_obj)
        return linked(self, remote_field, remote_obj)

    get_admin_url.checks_permissions = True
    helpers.AdminReadonlyField.get_admin_url = get_admin_url


def _install_readonly_words() -> None:
    """Two per-admin settings for read-only fields, which Django's admin does not have:

    - `readonly_empty_values`: {field: words} shown when the field is empty, in place of the
      admin's "-" (a moderator read "Challenge: -" for a listing about no challenge, where
      the member's pages say "Not a particular challenge");
    - `readonly_help_texts`: {field: help text, or "" for none}: a hint on how to type
      ("For example, HU12 8DS") means nothing under a field that cannot be typed in.
    """
    built = helpers.AdminReadonlyField.__init__

    def __init__(self, form, field, is_first, model_admin=None):
        built(self, form, field, is_first, model_admin=model_admin)
        name = self.field["field"]
        if not isinstance(name, str) or model_admin is None:
            return
        empty = getattr(model_admin, "readonly_empty_values", {}).get(name)
        if empty is not None:
            self.empty_value_display = empty
        hint = getattr(model_admin, "readonly_help_texts", {}).get(name)
        if hint is not None:
            self.field["help_text"] = hint

    helpers.AdminReadonlyField.__init__ = __init__
