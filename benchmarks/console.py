"""What the benchmark scripts print: results on stdout, timed progress on stderr, the machine's
load average beside the figures (these machines are shared), and URLs without passwords."""

import re
import sys
from datetime import UTC, datetime


def say(text: str = "") -> None:
    print(text, flush=True)


def progress(text: str) -> None:
    print(f"[{datetime.now(tz=UTC):%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def load_average() -> str:
    with open("/proc/loadavg", encoding="utf-8") as handle:
        return " / ".join(handle.read().split()[:3])


def redact(text: str) -> str:
    """Hide the password in any URL (postgres://user:secret@host -> postgres://user:***@host)."""
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
