"""`@cache_public_page`: serve a public page to signed-out visitors from a cache.

What is served from the cache, and why it is safe:

- Only GET and HEAD (HEAD shares GET's entry: the server drops the body) from a visitor who
  sends no session cookie and no messages cookie. Without a session cookie nobody is signed
  in, so a signed-in person never gets a cached page (nor anyone else's), and no message
  ("You have signed out", ...) can be waiting to be shown. An htmx request is never cached
  (its answer may be a part of the page).
- Only what every such visitor would get: a 200 response that set no cookie, changed no
  session, queued no message and used neither the CSRF token nor the Content Security
  Policy nonce. A page with a form that posts (and so a CSRF token) is simply rendered every
  time: a cached token would be the first visitor's, and the CSRF cookie (Set-Cookie) that
  goes with it is never cached. Every page cached today shows signed-out visitors links
  instead ("Sign in to ask for an introduction", "Report this listing", "Sign in to save
  this search"); tests/pagecache/ checks that those pages are served from the cache.
- There is no cookie banner: the site sets only essential cookies (templates/pages/
  cookies.html), so no page differs by consent.
- The key is the content generation (services.current()), the scheme, the host and the full
  path with its query string as sent: the page echoes the query back in its links (page
  numbers, "Sign in to save this search"), so two spellings of the same search are two
  entries rather than one page with the other's links.
- Responses keep `Vary: Cookie` (a browser or proxy cache must not give a signed-in person
  the signed-out page) and say `X-Page-Cache: hit`, `miss` or `bypass`.

The pages themselves are kept in the "pages" cache (CACHES in config/settings/base.py):
memory in each process by default, or Redis when PAGE_CACHE_URL names it. Either is safe,
because the generation in the key comes from the shared database: after a change every
process looks under the new key. Entries also expire after PAGE_CACHE_SECONDS, a backstop
for what the generation cannot see (a date passing, a write that bypassed the signals).
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

from . import services

HEADER = "X-Page-Cache"


def cache_public_page(view):
    """Serve `view`'s page from the page cache to signed-out visitors (see above)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.PAGE_CACHE_ENABLED or not _may_serve(request):
            return _mark(view(request, *args, **kwargs), "bypass")
        generation = services.current()
        request._pagecache_generation = generation  # for the page's fragments, if it has any
        if generation is None:
            return _mark(view(request, *args, **kwargs), "bypass")
        store = caches[settings.PAGE_CACHE_ALIAS]
        key = _key(request, generation)
        frozen = store.get(key)
        if frozen is not None:
            return _mark(_thaw(frozen), "hit")
        response = view(request, *args, **kwargs)
        if _may_store(request, response):
            store.set(key, _freeze(response), settings.PAGE_CACHE_SECONDS)
            return _mark(response, "miss")
        return _mark(response, "bypass")

    return wrapper


def _may_serve(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and "HX-Request" not in request.headers
        and _known_query(request)
    )


def _may_store(request, response) -> bool:
    messages = getattr(request, "_messages", None)
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")  # the view chose its own caching
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # a CSRF token is on the page
        and getattr(request, "_csp_nonce", None) is None  # a nonce is on the page
        and not request.user.is_authenticated
        and not (session is not None and session.modified)
        and not (messages is not None and (messages.used or messages.added_new))
        and set(_vary(response)) <= {"cookie"}
    )


def _vary(response) -> list[str]:
    return [h.strip().lower() for h in response.get("Vary", "").split(",") if h.strip()]


# The query parameters the cached pages read (their filters, sort and page). A request with
# any other (utm_source=, fbclid=, ?x=1, ?x=2, ...) is served fresh and not kept: otherwise
# each made-up parameter would store another copy of the page.
QUERY_PARAMETERS = frozenset(
    {
        "q",
        "sort",
        "page",
        "theme",
        "cluster",
        "status",
        "kind",
        "organisation_kind",
        "partner_kind",
        "challenge",
    }
)


def _known_query(request) -> bool:
    return set(request.GET.keys()) <= QUERY_PARAMETERS


def _key(request, generation: str) -> str:
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()
    return f"page:{generation}:{digest}"


def _freeze(response) -> tuple:
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "set-cookie"]
    return (response.status_code, headers, response.content)


def _thaw(frozen: tuple) -> HttpResponse:
    status, headers, content = frozen
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response.headers[name] = value
    return response


def _mark(response, how: str):
    patch_vary_headers(response, ["Cookie"])
    response.headers[HEADER] = how
    return response
