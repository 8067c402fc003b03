"""The shared cache (Redis) down: sign-in says to try again in a few minutes (503), not 500.

Found by the redis-outage drill (platform/drill): with CACHE_URL on Redis, signing in counts
attempts in the cache, and while Redis was stopped it answered 500.
"""

import pytest
from django.core.cache import caches
from django.urls import reverse

from tests.factories import UserFactory
from tests.services import RedisServer


@pytest.fixture
def stopped_redis_cache(settings):
    server = RedisServer()
    url = server.url
    server.stop()
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    # Django's setting_changed handler closes and forgets the cache connections.
    assert "RedisCache" in caches["default"].__class__.__name__
    yield url


@pytest.mark.django_db
def test_signing_in_while_the_shared_cache_is_down_says_to_try_again(client, stopped_redis_cache):
    user = UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "a wrong one"}
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    text = response.content.decode()
    assert "Sorry, the service is unavailable" in text
    assert "Try again in a few minutes" in text


@pytest.mark.django_db
def test_other_errors_are_not_taken_for_a_cache_outage(rf):
    from config.middleware import SharedCacheUnavailableMiddleware

    middleware = SharedCacheUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(rf.get("/"), ValueError("not the cache")) is None
