"""Production settings: only tightens base.py; refuses to start without real secrets."""

from django.core.exceptions import ImproperlyConfigured

from config.logs import logging_config

from .base import *  # noqa: F403
from .base import CACHES, DJANGO_LOG_LEVEL, PAGE_CACHE_ALIAS, REDIS_URL, env

SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DEBUG = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers ask these over plain HTTP. config/health.py answers them before
# SecurityMiddleware runs; this keeps them un-redirected even if the middleware moves.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Behind one reverse proxy (which also sets X-Forwarded-Proto above): the client's address,
# for rate limits on sign-in, sign-up and the enquiry form, is the one it adds.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=1)

# Rate limits count in the cache: every web server must see the same counts. A cache held in
# one process (locmem), on one machine's disk (file) or nowhere (dummy) would let each count
# on its own. Redis (CACHE_URL=redis://...) or the database cache (the default) are shared.
NOT_SHARED_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.filebased.FileBasedCache",
    "django.core.cache.backends.dummy.DummyCache",
}
if CACHES["default"]["BACKEND"] in NOT_SHARED_CACHES:
    raise ImproperlyConfigured(
        f"CACHE_URL names {CACHES['default']['BACKEND']}, which other processes and machines "
        "cannot see, so rate limits would count per process. Set CACHE_URL to Redis "
        "(redis://host:6379/1) or leave it unset for the database cache."
    )


# Webhooks to private addresses are for tests and local runs only: in production they would
# let anyone with an account make the server post to the internal network (SSRF).
if env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False):
    raise ImproperlyConfigured(
        "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is on: webhooks could then reach private and local "
        "addresses. Remove it from the environment of every production process."
    )


# Cached pages in Redis (PAGE_CACHE_URL) must not share the broker's server: anonymous
# visitors can make many distinct pages, and the broker's Redis never evicts (noeviction, in
# platform/redis.conf), so pages would fill it until queued emails and matching work failed.
# Give the page cache its own Redis with maxmemory and allkeys-lru.
def _redis_server(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}"


_page_cache = CACHES[PAGE_CACHE_ALIAS]
if REDIS_URL and "redis" in _page_cache["BACKEND"].lower():
    _locations = _page_cache["LOCATION"]
    for _location in [_locations] if isinstance(_locations, str) else _locations:
        if _redis_server(_location) == _redis_server(REDIS_URL):
            raise ImproperlyConfigured(
                "PAGE_CACHE_URL names the Redis server that is the Celery broker (REDIS_URL). "
                "Give the page cache a Redis of its own, with maxmemory and "
                "maxmemory-policy allkeys-lru, or leave PAGE_CACHE_URL unset (pages are then "
                "kept in each web process's memory)."
            )

# JSON logs, one object per line, for the log collector (config/logs.py); text on request.
LOGGING = logging_config(env("DJANGO_LOG_FORMAT", default="json"), DJANGO_LOG_LEVEL)
