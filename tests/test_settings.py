"""Settings: production refuses to start without secrets and passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, env=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    base.pop("DATABASE_URL", None)
    base.pop("CACHE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = manage(
        "check",
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_ALLOWED_HOSTS": "exchange.example",
        },
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_refuse_to_start_without_allowed_hosts():
    result = manage(
        "check",
        env={"DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": "x" * 60},
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_deploy_checks_are_clean_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "k7#pQ2@vL9!" * 5,
            "DJANGO_ALLOWED_HOSTS": "exchange.example",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_is_off_unless_asked_for():
    probe = "from django.conf import settings; print(settings.DEBUG)"
    result = manage("shell", "-c", probe)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
    result = manage("shell", "-c", probe, env={"DJANGO_DEBUG": "1"})
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "k7#pQ2@vL9!" * 5,
    "DJANGO_ALLOWED_HOSTS": "exchange.example",
}


def import_production_settings(cache_url: str | None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    base.pop("CACHE_URL", None)
    env = {**base, **PRODUCTION}
    if cache_url is not None:
        env["CACHE_URL"] = cache_url
    probe = "import config.settings.production as s; print(s.CACHES['default']['BACKEND'])"
    return subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "cache_url", ["locmemcache://", "filecache:///tmp/cx-cache", "dummycache://"]
)
def test_production_settings_refuse_a_cache_other_processes_cannot_see(cache_url):
    result = import_production_settings(cache_url)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "CACHE_URL" in result.stderr


@pytest.mark.parametrize(
    ("cache_url", "backend"),
    [
        (None, "django.core.cache.backends.db.DatabaseCache"),
        ("redis://127.0.0.1:6379/1", "django.core.cache.backends.redis.RedisCache"),
    ],
)
def test_production_settings_accept_redis_or_the_database_cache(cache_url, backend):
    result = import_production_settings(cache_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == backend


def test_the_local_default_cache_is_the_database_shared_by_every_process():
    probe = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = manage("shell", "-c", probe)
    assert result.stdout.strip().splitlines()[-1] == "django.core.cache.backends.db.DatabaseCache"


def _production_with(**extra):
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DJANGO_") and k not in ("CACHE_URL", "REDIS_URL", "PAGE_CACHE_URL")
    }
    probe = "import config.settings.production as s; print(s.CACHES['pages']['BACKEND'])"
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**base, **PRODUCTION, **extra},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_cached_pages_on_the_brokers_redis():
    # The broker's Redis never evicts: pages that anonymous visitors can multiply would fill it.
    result = _production_with(
        REDIS_URL="redis://10.0.0.5:6379/0", PAGE_CACHE_URL="redis://10.0.0.5:6379/2"
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "PAGE_CACHE_URL" in result.stderr


@pytest.mark.parametrize(
    "page_cache_url", ["redis://10.0.0.9:6379/0", "redis://10.0.0.5:6380/0", None]
)
def test_production_settings_accept_cached_pages_on_a_redis_of_their_own(page_cache_url):
    extra = {"REDIS_URL": "redis://10.0.0.5:6379/0"}
    if page_cache_url:
        extra["PAGE_CACHE_URL"] = page_cache_url
    result = _production_with(**extra)
    assert result.returncode == 0, result.stderr
