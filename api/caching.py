"""Public reads served from a cache to anonymous callers, as the public pages are.

Without it a page of 50 listings costs the server ten times what the API's root does (four
queries, then 50 records serialised with their organisation, themes and clusters), so under
load it keeps about a tenth of the root's requests per second (benchmarks/api_load.py; the
issue's target is half). With it, an anonymous request for a list page or a record that
anyone has asked for since the content last changed costs one primary-key read (the content
generation) and a cache read.

What is cached, and why it is safe:

- Only `list` and `retrieve` of a viewset that opts in (`CachedPublicReads` before the
  viewset class), and only for a caller with no token and no session: what every anonymous
  caller gets. A member or a partner's system with a token always gets a fresh answer.
- It runs inside DRF's handler, after authentication, the scope check and throttling: a
  cached answer still counts against the caller's limit, and a refusal is never cached.
- The key is pagecache's content generation (pagecache/services.py), the accepted media type,
  the host and the full path with its query (`cursor`, `page_size`, filters): any save of public
  content (a listing, an organisation, a theme, a cluster, a challenge) retires every entry
  at once, in every process. Entries live in the "pages" cache (memory in each process,
  bounded by PAGE_CACHE_MAX_ENTRIES, or PAGE_CACHE_URL's Redis) and expire after
  PAGE_CACHE_SECONDS at the latest; PAGE_CACHE_ENABLED=0 turns it off with the page cache.
- Only a 200 is kept. What is kept is the answer's data, rendered afresh each time, so the
  content negotiation (JSON, the browsable API) is the same as without the cache.
- Answers say `X-Page-Cache: hit`, `miss` or `bypass`, and `Vary: Cookie, Authorization`, so
  that no browser or proxy cache gives an anonymous answer to a signed-in caller.
"""

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.utils.cache import patch_vary_headers
from rest_framework.response import Response

from pagecache import services
from pagecache.decorators import HEADER


class CachedPublicReads:
    """A viewset mixin: anonymous `list` and `retrieve` answers from the cache (see above)."""

    def list(self, request, *args, **kwargs):
        return self._cached(super().list, request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self._cached(super().retrieve, request, *args, **kwargs)

    def _cached(self, handler, request, *args, **kwargs):
        generation = services.current() if _may_serve(request) else None
        if generation is None:
            return _mark(handler(request, *args, **kwargs), "bypass")
        store = caches[settings.PAGE_CACHE_ALIAS]
        key = _key(request, generation)
        data = store.get(key)
        if data is not None:
            return _mark(Response(data), "hit")
        response = handler(request, *args, **kwargs)
        if response.status_code == 200 and not response.has_header("Cache-Control"):
            store.set(key, response.data, settings.PAGE_CACHE_SECONDS)
            return _mark(response, "miss")
        return _mark(response, "bypass")


def _may_serve(request) -> bool:
    return (
        settings.PAGE_CACHE_ENABLED
        and request.method in ("GET", "HEAD")
        and request.auth is None
        and not request.user.is_authenticated
    )


def _key(request, generation: str) -> str:
    # The host too: an answer's `next` and `previous` links are absolute, made from it.
    media = getattr(request, "accepted_media_type", "") or ""
    where = f"{media} {request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(where.encode("utf-8", "surrogateescape")).hexdigest()
    return f"api:{generation}:{digest}"


def _mark(response, how: str):
    patch_vary_headers(response, ["Cookie", "Authorization"])
    response[HEADER] = how
    return response
