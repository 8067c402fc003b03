"""Settings for every environment, read from environment variables with safe local defaults."""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django_guid.integrations import CeleryIntegration
from kombu import Queue

from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# A labelled placeholder so that the local web server and worker agree; production.py
# refuses to start without a real DJANGO_SECRET_KEY.
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="local-development-only-not-a-secret-change-me-in-production"
)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin with the staff area's site (home panel): see staff/apps.py.
    "staff.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc's files, served from here (no CDN)
    "django_celery_beat",
    "django_guid",
    "django_htmx",
    "csp",
    "crispy_forms",
    "crispy_forms_gds",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "api",
    "outbox",
    "webhooks",
    "clusters",
    "matching",
    "searches",
    "notifications",
    "introductions",
    "enquiries",
    "teams",
    "reports",
    "insights",
    "opendata",
    "dashboards",
    "funding",
    "staff",
    "backups",
    "pagecache",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered first: no https redirect, no host check (config/health.py).
    "config.health.HealthCheckMiddleware",
    # A request id for every log line of the request and of the tasks it queues (LOGGING).
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.RefuseNulInPathMiddleware",
    # An address that only takes a form, opened as a page: a page that says so (not an empty 405).
    "config.middleware.MethodNotAllowedPageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The shared cache (Redis) down: a 503 page that says to try again, not a 500.
    "config.middleware.SharedCacheUnavailableMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "staff.middleware.StaffMFAMiddleware",
    # The admin's read-only foreign keys link only to pages the reader may open
    # (config/admin_links.py).
    "config.admin_links.AdminReaderMiddleware",
]

# Content Security Policy (django-csp): scripts, styles, images and fonts come from this site
# only. No inline script or style is allowed: the few inline scripts there were are files in
# static/ now; an inline script that cannot move carries the request's nonce
# (nonce="{{ CSP_NONCE }}"), which this policy lists only on pages that use it. data: images
# are for the icons inside GOV.UK Frontend's style sheets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features no page here uses, switched off for every page and anything it embeds
# (config/middleware.py writes the Permissions-Policy header).
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "autoplay",
        "bluetooth",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "web-share",
        "xr-spatial-tracking",
    ]
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# SQLite in the project folder unless DATABASE_URL names another database (PostgreSQL in
# production). WAL and IMMEDIATE transactions let the web server and the worker write side
# by side without "database is locked".
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

# Accounts: django-allauth, email and password only, with the address verified by a link
# before anything is published (issue #3).
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    # Django's defaults name username, first_name and last_name, which our User does not have.
    {
        "NAME": "accounts.validators.NameOrEmailValidator",
        "OPTIONS": {"user_attributes": ("name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "accounts.validators.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "clusters:dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_CHANGE_EMAIL = True
# No prefix: the sender's name says "Cluster Exchange", as on every other email the site
# sends (match summaries, introductions, replies); allauth's default would add "[site]".
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    # The same forms, with errors in plain words (accounts/forms.py).
    "login": "accounts.forms.LoginForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
    "change_password": "accounts.forms.ChangePasswordForm",
    "set_password": "accounts.forms.SetPasswordForm",
    "add_email": "accounts.forms.AddEmailForm",
}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
ACCOUNT_PREVENT_ENUMERATION = True
# Before a sensitive change, confirm it is you with your password or your authenticator app.
# allauth's default also offers a code sent by email: a weaker proof (whoever reads the
# mailbox), on pages the site never styled (found by an outside probe).
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
# Adding or removing an email address, making another one primary and changing the password
# all ask for that proof first (unless given in the last 5 minutes), as deleting the account
# does (accounts.views.delete_account): a session alone, left open or stolen, could otherwise
# add an attacker's address, make it primary and reset the password (outside probe). The old
# address hears of each change (allauth's notifications).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
# The "Get in touch" form takes this many enquiries per window from one IP address, and as
# many for one email address.
ENQUIRIES_RATE_LIMIT = env.int("ENQUIRIES_RATE_LIMIT", default=5)
ENQUIRIES_RATE_WINDOW_SECONDS = env.int("ENQUIRIES_RATE_WINDOW_SECONDS", default=3600)
# "Report this listing / organisation" takes this many reports per window from one IP address,
# and as many from one person (their account, or the email address they give).
REPORTS_RATE_LIMIT = env.int("REPORTS_RATE_LIMIT", default=10)
REPORTS_RATE_WINDOW_SECONDS = env.int("REPORTS_RATE_WINDOW_SECONDS", default=3600)
# Counted in the shared cache (see CACHES below). "enquiry" is the "Get in touch" form's limit,
# per IP address and per email address (the key), counted by the same code as allauth's own.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_email": "5/h/user",
    "enquiry": (
        f"{ENQUIRIES_RATE_LIMIT}/{ENQUIRIES_RATE_WINDOW_SECONDS}s/ip,"
        f"{ENQUIRIES_RATE_LIMIT}/{ENQUIRIES_RATE_WINDOW_SECONDS}s/key"
    ),
    # "Ask for an introduction" from a listing's page: sends, per person, on top of the
    # daily limit per organisation (INTRODUCTIONS_PER_ORGANISATION_PER_DAY).
    "introduction": "20/h/user",
    # Reports of listings and organisations: per IP address and per person (reports/views.py).
    "report": (
        f"{REPORTS_RATE_LIMIT}/{REPORTS_RATE_WINDOW_SECONDS}s/ip,"
        f"{REPORTS_RATE_LIMIT}/{REPORTS_RATE_WINDOW_SECONDS}s/key"
    ),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Cluster Exchange"
# Staff reach the admin only after a second factor (TOTP) in the same session (issue #6).
STAFF_REQUIRE_MFA = env.bool("STAFF_REQUIRE_MFA", default=True)

# Forms in the GOV.UK style: crispy-forms-gds is the template pack, but most pages use
# templates/includes/form.html, which fixes the markup that crispy-forms-gds gets wrong.
CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"
# The GOV.UK class for each widget (by its class name, lower case). crispy-forms-gds knows
# only text, email, password, select, textarea, checkbox and file; without these, number,
# url, date, search and tel inputs and multiple selects would get no GOV.UK style at all.
CRISPY_CLASS_CONVERTERS = {
    "numberinput": "govuk-input",
    "urlinput": "govuk-input",
    "dateinput": "govuk-input",
    "datetimeinput": "govuk-input",
    "timeinput": "govuk-input",
    "searchinput": "govuk-input",
    "telinput": "govuk-input",
    "select": "govuk-select",
    "selectmultiple": "govuk-select",
    "nullbooleanselect": "govuk-select",
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email: the console unless EMAIL_URL names a server (smtp://user:pass@host:587, ...).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# In production, a provider's API through django-anymail instead of SMTP: ANYMAIL_ESP names
# it (postmark, mailgun, sendgrid, amazon_ses, ...) and ANYMAIL_SETTINGS holds its JSON
# settings, e.g. {"POSTMARK_SERVER_TOKEN": "..."}.
ANYMAIL_ESP = env("ANYMAIL_ESP", default="")
if ANYMAIL_ESP:
    INSTALLED_APPS.append("anymail")
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
    ANYMAIL = env.json("ANYMAIL_SETTINGS", default={})

# The site's address as people reach it, for links in emails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Cluster Exchange <hello@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport in var/celery,
# so that the one-command local run needs no server at all.
REDIS_URL = env("REDIS_URL", default="")
CELERY_DATA_DIR = Path(env("CELERY_FILESYSTEM_DIR", default=str(BASE_DIR / "var" / "celery")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A hung Redis must not hang a request (measured: 40 s without these).
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
        # Longer than the longest task's hard time limit, so a slow task is not redelivered.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # How often a worker looks for messages a dead worker left unacknowledged past the
        # visibility timeout: every interval x throttle seconds (kombu's default 10 x 10).
        # The drill (platform/drill) lowers them with a short visibility timeout.
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
        # Look for new messages 5 times a second (kombu's default is once a second, which
        # held the demo's first matching to 2 jobs a second).
        "polling_interval": 0.2,
    }
# If the broker is down, give up publishing after about a second: the work row stays
# pending and the sweeper sends it later (never hold a request for long).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.3,
    "interval_max": 0.5,
}
# Queue routing (issue #14): three queues, so that each pool of workers can run on its own
# machines and a long matching rebuild never holds up an email. `matching`: the matching
# engine's work (CPU- and memory-heavy, minutes long). `email`: sending emails and building
# the match digests that become emails (short, waits on the mail server). `default`: every
# other periodic job (expiry, reminders, insights, open data, the IMAP mailbox), which the
# email workers also consume. A worker started without -Q consumes all three (the queues are
# declared here); platform/Procfile splits them. tests/test_queue_routing.py fails when a new
# task has no queue decision. `webhooks` (issue #15): webhook deliveries, HTTP POSTs to
# members' servers (each attempt cut off after 30 s, webhooks.delivery), on their own queue so
# that a flood of them, or one member's slow endpoint, never stands in front of the site's
# emails; the email workers consume it too (platform/Procfile).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue("default"), Queue("matching"), Queue("email"), Queue("webhooks")]
CELERY_TASK_ROUTES = {
    "matching.tasks.*": {"queue": "matching"},
    "outbox.tasks.*": {"queue": "email"},
    "notifications.tasks.send_digests_task": {"queue": "email"},
    # Webhook deliveries: HTTP POSTs to members' servers, on their own queue (issue #15).
    "webhooks.tasks.*": {"queue": "webhooks"},
}
# A message is acknowledged when its task has finished, not when it is received, so a worker
# that dies mid-task leaves it in Redis for another worker (every task is idempotent: it
# claims its row with one atomic update).
CELERY_TASK_ACKS_LATE = True
# ... and also when the worker's child process is killed (kill -9, out of memory): with
# acks_late alone, 2 of 40 emails were lost in that case (shared/RELIABILITY.md).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Each worker process reserves one message at a time: a rebuild chunk that takes minutes
# must not sit reserved behind another on a busy process while an idle worker waits.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Soft limit (raises SoftTimeLimitExceeded, so the task can give up cleanly) < hard limit
# (the child is killed) < the broker's visibility_timeout (1 hour): a message is never handed
# to a second worker while the first may still be running it.
CELERY_TASK_SOFT_TIME_LIMIT = 1500
CELERY_TASK_TIME_LIMIT = 1800
# No result backend: tasks write their results to the database (their rows), not to Redis.
CELERY_TASK_IGNORE_RESULT = True
# A worker started before Redis is up (machines boot in any order) keeps trying to connect
# instead of exiting. If Redis goes away while tasks run, they finish (Celery's default):
# their acknowledgement may not reach Redis, which then hands them out again (after
# visibility_timeout), and the second run finds its row done and does nothing.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# How often beat nudges the sweepers that re-send pending emails and matching work (the
# drill shortens it to see a backlog clear within its bounded time).
SWEEP_SECONDS = env.int("CELERY_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "close-funding-calls-past-deadline": {
        "task": "funding.tasks.close_calls_past_deadline_task",
        "schedule": crontab(hour=0, minute=5),
    },
    "resend-pending-emails": {
        "task": "outbox.tasks.resend_pending_emails_task",
        "schedule": SWEEP_SECONDS,
    },
    "listing-expiry": {"task": "clusters.tasks.expire_listings_task", "schedule": 3600},
    # Webhook deliveries that are due (first attempts whose message was lost, and retries).
    "send-due-webhooks": {
        "task": "webhooks.tasks.send_due_webhooks_task",
        "schedule": SWEEP_SECONDS,
    },
    "sweep-matching-work": {
        "task": "matching.tasks.sweep_matching_work_task",
        "schedule": SWEEP_SECONDS,
    },
    "introduction-expiry": {
        "task": "introductions.tasks.expire_introductions_task",
        "schedule": crontab(hour=6, minute=0),
    },
    "introduction-outcome-asks": {
        "task": "introductions.tasks.ask_for_outcomes_task",
        "schedule": crontab(hour=9, minute=0),
    },
    "match-emails-at-once": {
        "task": "notifications.tasks.send_digests_task",
        "schedule": 120,
        "args": ["immediately"],
    },
    "daily-match-digests": {
        "task": "notifications.tasks.send_digests_task",
        "schedule": crontab(hour=7, minute=0),
        "args": ["daily"],
    },
    "weekly-match-digests": {
        "task": "notifications.tasks.send_digests_task",
        "schedule": crontab(hour=7, minute=15, day_of_week="mon"),
        "args": ["weekly"],
    },
    "learn-signal-weights": {
        "task": "matching.tasks.learn_weights_task",
        "schedule": crontab(hour=2, minute=0),
    },
    "nightly-matching-rebuild": {
        "task": "matching.tasks.nightly_rebuild_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "read-enquiries-mailbox": {
        "task": "enquiries.tasks.fetch_imap_enquiries_task",
        "schedule": env.int("ENQUIRIES_IMAP_INTERVAL_SECONDS", default=300),
    },
    # The open data downloads (opendata.datasets.BUILD_HOUR says the same on the page).
    "open-data-daily": {
        "task": "opendata.tasks.build_open_data_task",
        "schedule": crontab(hour=5, minute=0),
    },
    "challenge-review-reminders": {
        "task": "teams.tasks.remind_teams_to_review_task",
        "schedule": crontab(hour=8, minute=0),
    },
    "anonymise-expired-enquiries": {
        "task": "staff.tasks.anonymise_expired_enquiries_task",
        "schedule": crontab(hour=3, minute=15),
    },
    # The gap analysis and funnel figures (insights): hourly, at 40 minutes past, so the
    # nightly matching rebuild (02:30) shows by 03:40. Each run makes its own Computation.
    "compute-insights": {
        "task": "insights.tasks.compute_insights_task",
        "schedule": crontab(minute=40),
    },
}
# Backups (backups/services.py): pg_dump's custom format into BACKUP_DIR, the newest
# BACKUP_KEEP kept (14: two weeks of nightly dumps). On its own volume or machine, copied off
# site by whatever the host offers; platform/compose.yaml's backup service runs it nightly.
BACKUP_DIR = Path(env("BACKUP_DIR", default=str(BASE_DIR / "var" / "backups")))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
# How many tasks a full rebuild is split into, so that several workers share it.
MATCHING_CHUNKS = env.int("MATCHING_CHUNKS", default=8)
# Enquiries: the programme mailbox replies come from (the web form's rate limit is above).
ENQUIRIES_REPLY_TO = env("ENQUIRIES_REPLY_TO", default=DEFAULT_FROM_EMAIL)
# The programme's aim for a first reply, told to the sender on the page and in the email
# (0: no aim is given).
ENQUIRIES_REPLY_WITHIN_WORKING_DAYS = max(
    0, env.int("ENQUIRIES_REPLY_WITHIN_WORKING_DAYS", default=5)
)
ENQUIRIES_MAX_ATTACHMENT_BYTES = env.int("ENQUIRIES_MAX_ATTACHMENT_BYTES", default=10 * 2**20)
# The programme's IMAP inbox, read every ENQUIRIES_IMAP_INTERVAL_SECONDS when set, e.g.
# imaps://user%40example.org:password@imap.example.org/INBOX (see enquiries/imap.py).
ENQUIRIES_IMAP_URL = env("ENQUIRIES_IMAP_URL", default="")
ENQUIRIES_IMAP_BATCH = env.int("ENQUIRIES_IMAP_BATCH", default=200)
# Closed enquiries are anonymised this many days after closing (about 24 months); spam sooner.
ENQUIRIES_RETENTION_DAYS = env.int("ENQUIRIES_RETENTION_DAYS", default=730)
ENQUIRIES_SPAM_RETENTION_DAYS = env.int("ENQUIRIES_SPAM_RETENTION_DAYS", default=30)
# Introduction requests one organisation may send in a day (a limit against spam).
INTRODUCTIONS_PER_ORGANISATION_PER_DAY = env.int(
    "INTRODUCTIONS_PER_ORGANISATION_PER_DAY", default=10
)
# Invitations one organisation may send in a day (counted in the database, so the limit
# holds across processes): they go to strangers from the site's address.
INVITATIONS_PER_ORGANISATION_PER_DAY = env.int("INVITATIONS_PER_ORGANISATION_PER_DAY", default=10)
# After this long, an email claimed by a worker that never finished is sent again.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
# On PostgreSQL, whether marking each email sent waits for the disk (2-5 ms an email). Off:
# the mark is committed at once for every worker (a killed worker repeats nothing), and
# only a crash of the database server itself (not a restart) can forget the last 600 ms of
# marks, whose emails then go again with the same Message-ID (outbox.services, at
# _marks_not_waiting_for_disk).
OUTBOX_DURABLE_SENT_MARKS = env.bool("OUTBOX_DURABLE_SENT_MARKS", default=False)
# An email the SMTP server accepted is marked sent even through a short database outage (a
# restart): the mark is tried again for up to this long, rather than leaving the row to be
# sent a second time after its lease. 0 turns this off (the drill shows what it prevents).
OUTBOX_MARK_SENT_RETRY_SECONDS = env.int("OUTBOX_MARK_SENT_RETRY_SECONDS", default=60)
# A rebuild chunk or matching job claimed by a worker that died is taken over after this long.
MATCHING_LEASE_SECONDS = env.int("MATCHING_LEASE_SECONDS", default=600)
MATCHING_CHUNK_MIN_SOURCES = env.int("MATCHING_CHUNK_MIN_SOURCES", default=500)
CELERY_TIMEZONE = TIME_ZONE
# Webhooks (issue #15; webhooks/). Deliveries go only to public addresses over HTTPS. Tests
# and local runs may allow private addresses (and plain http) to reach a local server:
# production.py refuses to start with it on.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
# How long to wait for a receiver's answer; the connection itself gets 5 seconds.
WEBHOOKS_TIMEOUT_SECONDS = env.int("WEBHOOKS_TIMEOUT_SECONDS", default=10)
# A delivery claimed by a worker that never finished is sent again after this long.
WEBHOOKS_LEASE_SECONDS = env.int("WEBHOOKS_LEASE_SECONDS", default=120)
# The certificate authorities receivers' certificates are checked against (certifi's when
# empty); tests point it at their own.
WEBHOOKS_CA_BUNDLE = env("WEBHOOKS_CA_BUNDLE", default="")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A personal token (api/authentication.py), else the site's session. Never DRF's Basic
    # authentication: it checks passwords outside allauth's sign-in limits, so the API would
    # let anyone guess passwords without a lockout.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_FILTER_BACKENDS": ["api.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PERMISSION_CLASSES": [
        "api.permissions.TokenScope",
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
    ],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ContentNegotiation",
    # DRF's three, with a JSON parser that reads a body nested too deeply as a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Counted in the default cache, which every process shares (CACHES below).
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonymousThrottle",
        "api.throttling.TokenThrottle",
        "api.throttling.SessionThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("DJANGO_API_ANON_RATE", default="120/minute"),
        "token": env("DJANGO_API_TOKEN_RATE", default="600/minute"),
        "user": env("DJANGO_API_USER_RATE", default="600/minute"),
    },
    # Whose address an anonymous limit counts: here the connection's own (0: X-Forwarded-For
    # is ignored, as anyone can write it). production.py trusts as many proxies as the
    # sign-in limits do (DJANGO_TRUSTED_PROXY_COUNT). DRF's default, None, would take the
    # whole header as the address, so a made-up header per request escaped the limit.
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cluster Exchange API",
    "DESCRIPTION": "The UK industrial clusters, their decarbonisation challenges, and the "
    "offers and needs posted against them. Anyone may read the public data. With a personal "
    "token (made on your account page), members manage their organisation's listings, "
    "matches, introductions, saved searches and webhooks, cluster teams their challenges, "
    "and programme staff the enquiries and moderation queues their role allows. The paths "
    "under /api/ without /v1/ are the read-only API from before v1, kept as they were.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # hR: choices of the same name in several models, each named after its model in the
    # schema (otherwise drf-spectacular names them by a hash, which changes with the choices).
    "ENUM_NAME_OVERRIDES": {
        "ListingKindEnum": "clusters.models.Listing.Kind",
        "ListingStatusEnum": "clusters.models.Listing.Status",
        "ChallengeStatusEnum": "clusters.models.Challenge.Status",
        "OrganisationKindEnum": "clusters.models.Organisation.Kind",
        "OrganisationStatusEnum": "clusters.models.Organisation.Status",
        "EnquiryStatusEnum": "enquiries.models.Enquiry.Status",
    },
}
# Swagger UI and Redoc (/api/v1/swagger/, /api/v1/redoc/): their files from
# drf-spectacular-sidecar, served by this site like any static file, never from a CDN.
SPECTACULAR_SETTINGS |= {
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Operations grouped by area, v1 first and the paths from before v1 last
    # (config/openapi.py), the 415 of every v1 operation that reads a body, and the answers
    # any v1 operation can give (401, 404, 406); the first
    # hook is drf-spectacular's default.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.group_by_area",
        "config.openapi.document_unsupported_media_type",
        "config.openapi.document_answers_of_every_operation",
    ],
}

# Rate limits (sign-in, password reset, sign-up, the enquiry form) count in the cache, so it
# must be shared by every process: `make run` starts two gunicorn workers, and a per-process
# cache (locmem) let each count on its own, doubling every limit. The local default is Django's
# database cache (`make run` creates its table with createcachetable; the test runner does it
# for tests). It was chosen over the file cache because allauth locks each counter with
# cache.add(), which the database cache makes atomic across processes (a unique key) and the
# file cache does not (it checks, then writes). Production names Redis in CACHE_URL
# (redis://...), and production.py refuses a cache that other machines cannot see.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://django_cache")}

# Public pages served to signed-out visitors from a cache (pagecache/decorators.py says what
# is cached and why it is safe). The pages are kept in memory in each process by default:
# a hit then costs one database query (the content generation, which is what makes a change
# show at once everywhere) and no network round trip; PAGE_CACHE_URL=redis://... shares them
# between processes and machines instead. PAGE_CACHE_MAX_ENTRIES bounds the memory (a page
# is 20-40 kB, so 1,000 pages are at most about 40 MB per process). PAGE_CACHE_SECONDS is a
# backstop only: a change retires every page at once, whatever this says.
PAGE_CACHE_ENABLED = env.bool("PAGE_CACHE_ENABLED", default=True)
PAGE_CACHE_ALIAS = "pages"
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600)
CACHES[PAGE_CACHE_ALIAS] = env.cache("PAGE_CACHE_URL", default="locmemcache://pages")
if CACHES[PAGE_CACHE_ALIAS]["BACKEND"].endswith("LocMemCache"):
    CACHES[PAGE_CACHE_ALIAS]["OPTIONS"] = {
        "MAX_ENTRIES": env.int("PAGE_CACHE_MAX_ENTRIES", default=1000)
    }
# A cache hit's one query is about 20 us, but opening an SQLite connection (Django registers
# its SQL functions, then the PRAGMAs above) took 1.8 ms, and Django opened one per request:
# keep it open between requests, as PostgreSQL's already is.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))

# Logs (config/logs.py): one line per event on stderr, plain text here and JSON in production
# (DJANGO_LOG_FORMAT=json|text), each with the id of its request, carried into the Celery
# tasks the request queues (django-guid). The id is the incoming X-Request-ID if it is a UUID
# (nginx's $request_id is), else a new one; the response echoes it in X-Request-ID.
DJANGO_LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = logging_config(env("DJANGO_LOG_FORMAT", default="text"), DJANGO_LOG_LEVEL)
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,  # no other site's script reads our responses (no CORS)
    # Celery workers log through LOGGING too (use_django_logging), with the task's request id.
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True)],
}
