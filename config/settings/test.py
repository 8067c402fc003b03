"""Test settings: only makes the tests faster and self-contained."""

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, env

# A file, not memory, so that Celery worker processes started by the tests can share it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {
        "NAME": env("TEST_SQLITE_PATH", default=str(BASE_DIR / "var" / "test.sqlite3"))
    }
# One folder per database: CI runs the SQLite and PostgreSQL passes side by side.
MEDIA_ROOT = BASE_DIR / "var" / f"test-media-{DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Emails stay in memory (django.core.mail.outbox), except for worker processes that tests
# start with EMAIL_URL pointing at a real SMTP server.
if not env("EMAIL_URL", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The manifest storage needs collectstatic; tests serve straight from the source folders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405

# Pages and services enqueue tasks on commit; here they run inline. The tests of the
# background jobs themselves turn this off and start a real worker (tests/matching/).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = False
SITE_URL = "http://testserver"
# Staff sign in with a password only here; tests of the second factor turn it back on.
STAFF_REQUIRE_MFA = False
