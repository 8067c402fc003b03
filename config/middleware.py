"""Site-wide middleware: the Permissions-Policy header, and paths no page of ours can answer.

Django has no setting for the Permissions-Policy header and django-permissions-policy is not
among our libraries; the header is one line, written from settings.PERMISSIONS_POLICY.
"""

from django.conf import settings
from django.http import Http404


def permissions_policy(features: dict[str, list[str]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` -> `camera=(), fullscreen=(self)`."""
    return ", ".join(f"{name}=({' '.join(allowed)})" for name, allowed in features.items())


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


class RefuseNulInPathMiddleware:
    """A NUL character in the path is "Page not found", whichever view the path resembles.

    No reference, slug or token of ours contains one, and PostgreSQL refuses NUL in text:
    looking one up was a 500 on every detail page (found by tests/fuzz).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            raise Http404("No page has this address")
        return self.get_response(request)
