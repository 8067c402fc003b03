"""gunicorn's settings for the web servers: `gunicorn -c config/gunicorn.py config.wsgi`.

Each value has its reason beside it; each can be changed by the environment variable named,
so one image serves a small machine and a large one. gunicorn reads this file as Python.

The servers sit behind nginx (or a cloud load balancer) which holds slow clients, terminates
TLS and spreads requests over several machines; gunicorn only ever talks to that proxy.
"""

import json
import multiprocessing
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from gunicorn.glogging import Logger

# gunicorn reads this file before the project is on its path: put it there for config.redact.
if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.redact import redact  # noqa: E402


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# Where to listen. In a container, every address on port 8000 (or $PORT); the drill and a
# single machine behind nginx give GUNICORN_BIND=127.0.0.1:8001.
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Worker processes: gunicorn's advice of 2 x cores + 1. The pages are short and mostly wait on
# PostgreSQL, so about two per core keeps every core busy while others wait. Each holds one
# database connection (CONN_MAX_AGE): workers x web machines must stay under PostgreSQL's
# max_connections (100 by default) with room for the Celery workers.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)

# Sync workers (one request at a time each): the proxy in front buffers slow clients, so a
# worker is never held by a slow network. GUNICORN_THREADS > 1 switches to gthread, for
# machines where memory, not CPU, limits the number of processes.
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"

# A worker silent for this long is killed and replaced (and the request gets a 502 from the
# proxy). Pages aim at under a second; 60 s leaves room for the staff's large CSV exports and
# only catches a worker that is stuck. Set the proxy's read timeout longer (nginx:
# proxy_read_timeout 65s) so that the proxy never gives up before gunicorn does.
timeout = _int("GUNICORN_TIMEOUT", 60)

# On SIGTERM (a deploy, a scale-down) workers stop taking new requests and get this long to
# finish the ones they have. Less than the orchestrator's stop grace period (compose:
# stop_grace_period 45 s), so nothing is killed mid-request by the orchestrator.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)

# Seconds an idle keep-alive connection from the proxy is held open (gthread only: the sync
# worker closes each connection after its response). Longer than the proxy's own idle timeout
# (nginx upstream keepalive_timeout 60 s), so the proxy always closes first and never sends a
# request down a connection gunicorn is closing (which gives a 502).
keepalive = _int("GUNICORN_KEEPALIVE", 75)

# Each worker is replaced after about this many requests: memory a long-lived Python process
# gathers (fragmentation, caches that grow) is given back. The jitter spreads the restarts so
# the workers of one server never restart together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Trust X-Forwarded-Proto (https) only from the proxy's addresses. Loopback when nginx is on
# the same machine; in compose or a cloud, the proxy's network (e.g. "10.0.0.0/8") or "*" when
# only the load balancer can reach this port.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Import the site in each worker after the fork (not once in the master): `kill -HUP` then
# reloads new code without dropping connections, and no database connection is shared by
# forked processes.
preload_app = False

# The heartbeat file each worker touches: in memory, not on a container's overlay disk, where
# a slow write once made gunicorn think a healthy worker had hung.
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"

# Logs to stdout/stderr, where the process manager or container runtime collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def log_format() -> str:
    """`json` or `text`: DJANGO_LOG_FORMAT, else json in production and text elsewhere (the
    same rule as config/settings)."""
    production = os.environ.get("DJANGO_SETTINGS_MODULE") == "config.settings.production"
    return os.environ.get("DJANGO_LOG_FORMAT") or ("json" if production else "text")


# Text access log: the usual combined format, the time taken and the request's id (the
# X-Request-ID the site answered with, so a line here finds the site's and the tasks' lines).
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms '
    "request_id=%({x-request-id}o)s"
)


class RedactingLogger(Logger):
    """gunicorn's logger, with the secrets of one-time links out of the request line, the
    path, the query (a sign-in's ?next=) and the referer (config/redact.py)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "q", "f", "{referer}i"):
            if name in atoms:
                atoms[name] = redact(atoms[name])
        return atoms


class JsonLogger(RedactingLogger):
    """One JSON object per line, for the access log and gunicorn's own messages, with the
    field names the site's JSON logs use (config/logging.py): time, level, logger, message,
    request_id."""

    def setup(self, cfg):
        super().setup(cfg)
        from pythonjsonlogger.json import JsonFormatter

        formatter = JsonFormatter(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter)

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        try:
            record = access_record(self.atoms(resp, req, environ, request_time))
            self.access_log.info("%s", json.dumps(record))
        except Exception:
            self.exception("Could not write the access log line")


def access_record(atoms: dict) -> dict:
    """The access log's JSON fields, from gunicorn's atoms (headers are "{name}i" for the
    request's and "{name}o" for the response's, lower case)."""
    status = atoms.get("s")
    return {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "INFO",
        "logger": "gunicorn.access",
        "message": f"{atoms.get('m')} {atoms.get('U')} {status}",
        "request_id": atoms.get("{x-request-id}o"),
        "method": atoms.get("m"),
        "path": atoms.get("U"),
        "query": atoms.get("q") or None,
        "status": int(status) if str(status).isdigit() else status,
        "bytes": atoms.get("B"),
        "duration_ms": round(atoms["D"] / 1000, 1),
        "remote_addr": atoms.get("h"),
        "forwarded_for": atoms.get("{x-forwarded-for}i"),
        "user_agent": atoms.get("a"),
        "referer": atoms.get("f"),
        "pid": os.getpid(),
    }


logger_class = JsonLogger if log_format() == "json" else RedactingLogger
