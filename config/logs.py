"""The site's logging: one line per event, in JSON in production, each with its request id.

django-guid gives every request an id (the incoming X-Request-ID when it is a UUID, as
nginx's $request_id is, else a new one), echoes it in the response's X-Request-ID header and
carries it in the message headers of every Celery task the request queues, so a worker's
lines for that task carry the same id (its CeleryIntegration). python-json-logger writes the
JSON. The field names match gunicorn's JSON access log (config/gunicorn.py): time, level,
logger, message, request_id.
"""

import logging

# The fields of every JSON line (with "time": ISO 8601 in UTC); a record's `extra` follow.
JSON_FIELDS = ["levelname", "name", "message", "request_id"]
RENAMED = {"levelname": "level", "name": "logger"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Puts the id of the request (or task) being handled on each record: `request_id`."""

    def __init__(self, missing=None):
        super().__init__()
        self.missing = missing

    def filter(self, record: logging.LogRecord) -> bool:
        from django_guid import get_guid

        record.request_id = get_guid() or self.missing
        return True


class RedactSecretsFilter(logging.Filter):
    """Takes the secrets of one-time links out of a record (config/redact.py): Django's
    "Not Found: /invitations/<token>/" warnings wrote them in full, and the request that
    Django attaches to such a record shows its path too."""

    def filter(self, record: logging.LogRecord) -> bool:
        from config.redact import redact

        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) for a in record.args)
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            record.request = f"<{request.method} {redact(request.get_full_path())}>"
        return True


def logging_config(log_format: str, level: str) -> dict:
    """Django's LOGGING for `json` or `text` output on stderr, at `level` and above."""
    if log_format not in {"json", "text"}:
        raise ValueError(f"DJANGO_LOG_FORMAT must be json or text, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter, "missing": None if log_format == "json" else "-"},
            "redact": {"()": RedactSecretsFilter},
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": JSON_FIELDS,
                "rename_fields": RENAMED,
                "timestamp": "time",
            },
            "text": {"format": TEXT_FORMAT},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id", "redact"],
                "formatter": log_format,
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-guid says at INFO, for every request, whether an id came with it.
            "django_guid": {"level": "WARNING"},
        },
    }
