"""Site-wide middleware: the Permissions-Policy header, and paths no page of ours can answer.

Django has no setting for the Permissions-Policy header and django-permissions-policy is not
among our libraries; the header is one line, written from settings.PERMISSIONS_POLICY.
"""

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string


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
    """A NUL character in the path is "Page not found", whichever view the path resembles;
    in the query string, a plain "could not read what you sent" (400).

    No reference, slug or token of ours contains one, and PostgreSQL refuses NUL in text:
    looking one up was a 500 on every detail page (found by tests/fuzz).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            raise Http404("No page has this address")
        if _has_nul(request.GET) and not request.path.startswith("/api/"):
            # In a value of the address: no person types one, and a lookup with it was a 500
            # on PostgreSQL wherever a view read a raw parameter (issue #12 review). Forms
            # that are sent (POST) check their own fields and say what to fix, and the API's
            # filters answer 400 with the parameter and the reason, as its schema says.
            return render(request, "400.html", {"message": NUL_MESSAGE}, status=400)
        return self.get_response(request)


NUL_MESSAGE = (
    "What you sent has a character we cannot accept (a NUL character, which no keyboard "
    "types). Go back, type the search or the form again, and send it."
)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in data.getlist(key)) for key in data)


class SharedCacheUnavailableMiddleware:
    """The shared cache (Redis, CACHE_URL) not answering is "Sorry, the service is
    unavailable, try again in a few minutes" (503 with Retry-After), not a 500.

    Sign-in, sign-up, password reset, the enquiry form and the API's throttle count in that
    cache; while it is down they cannot run (letting them through would lift the rate limits).
    Found by the redis-outage drill (platform/drill), where signing in answered 500.
    """

    RETRY_AFTER = "60"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _is_cache_outage(exception):
            return None
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"detail": "The service is unavailable for a moment. Try again in a minute."},
                status=503,
            )
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = self.RETRY_AFTER
        return response


def _is_cache_outage(exception) -> bool:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency
        return False
    return isinstance(exception, (RedisConnectionError, RedisTimeoutError))


class MethodNotAllowedPageMiddleware:
    """A page, not an empty answer, when a person opens an address that only takes a form.

    Signing in again after a session ran out brings a person back to the address of the
    button they pressed (withdraw, decline, invite), which answers only a POST: Django's 405
    had no body, and browsers showed "This page isn't working" (newcomer probe). The page says
    what happened and links to the page the button is on when the address one level up is
    one of ours (`/listings/L-1/withdraw/` -> `/listings/L-1/`). The API keeps its own JSON.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.method in ("GET", "HEAD")
            and not request.path.startswith("/api/")
            and not response.content
        ):
            page = render(request, "405.html", {"back": _page_above(request.path)}, status=405)
            if "Allow" in response.headers:
                page["Allow"] = response.headers["Allow"]
            return page
        return response


def _page_above(path: str) -> str | None:
    """The path one level up, if it is a page of the site (resolved, never called)."""
    from django.urls import Resolver404, resolve

    parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
    if parent in ("/", path):
        return None
    try:
        resolve(parent)
    except Resolver404:
        return None
    return parent
