"""What every scenario needs: the drill's state folder, its services, the site's database and
the SMTP server's record of what it received."""

import collections
import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class DrillError(Exception):
    """The drill could not run (as opposed to a scenario whose counts are wrong)."""


def state() -> Path:
    return Path(os.environ.get("DRILL_STATE", ROOT / "var" / "drill"))


def ports() -> dict[str, str]:
    found = {}
    for line in (state() / "ports.env").read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            found[key] = value
    return found


def site_url() -> str:
    return f"https://127.0.0.1:{ports()['NGINX_PORT']}"


def certificate() -> str:
    return str(state() / "tls" / "cert.pem")


def control(action: str, name: str = "", extra_env: dict | None = None) -> float:
    """Run `platform/drill ACTION NAME` (start, stop, kill, pg-restart); return its seconds."""
    script = os.environ.get("DRILL_SCRIPT", str(ROOT / "platform" / "drill"))
    started = time.monotonic()
    done = subprocess.run(
        [script, action, *([name] if name else [])],
        env={**os.environ, **(extra_env or {})},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise DrillError(f"platform/drill {action} {name} failed: {done.stdout}{done.stderr}")
    return time.monotonic() - started


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    django.setup()
    # The driver's own log (e.g. "Could not enqueue" while Redis is down) goes to a file, so
    # that the terminal shows the scenario's figures.
    import logging

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    (state() / "log").mkdir(parents=True, exist_ok=True)
    root.addHandler(logging.FileHandler(state() / "log" / "driver.log"))


def mail() -> list[dict]:
    path = state() / "mail.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class MailCount:
    """What the SMTP server received for a set of people."""

    expected: int
    received: int = 0  # messages
    people: int = 0  # distinct recipients who got at least one
    twice: int = 0  # recipients who got more than one
    extra_messages: int = 0  # messages beyond one per person
    last_at: float = 0.0

    @property
    def missing(self) -> int:
        return self.expected - self.people


def count_mail(domain: str, expected: int) -> MailCount:
    per = collections.Counter()
    count = MailCount(expected=expected)
    for line in mail():
        for to in line["to"]:
            if to.endswith("@" + domain):
                per[to] += 1
                count.received += 1
                count.last_at = max(count.last_at, line["at"])
    count.people = len(per)
    count.twice = sum(1 for n in per.values() if n > 1)
    count.extra_messages = sum(n - 1 for n in per.values() if n > 1)
    return count


def wait_until(condition, timeout: float, interval: float = 0.5):
    """Poll `condition()` until truthy or `timeout` s pass; return (value, seconds)."""
    started = time.monotonic()
    while True:
        value = condition()
        if value or time.monotonic() - started > timeout:
            return value, time.monotonic() - started
        time.sleep(interval)


def log_count(name: str, pattern: str) -> int:
    path = state() / "log" / f"{name}.log"
    if not path.exists():
        return 0
    return len(re.findall(pattern, path.read_text(errors="replace")))


@dataclass
class Result:
    """One scenario's figures and checks, printed as a Markdown section."""

    name: str
    title: str
    short: bool
    unprotected: bool
    figures: list[tuple[str, str]] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def figure(self, label: str, value) -> None:
        if isinstance(value, float):
            value = f"{value:.1f}"
        elif isinstance(value, int):
            value = f"{value:,}"
        self.figures.append((label, str(value)))
        print(f"  {label}: {value}", flush=True)

    def check(self, label: str, ok: bool) -> bool:
        self.checks.append((label, ok))
        print(f"  [{'ok' if ok else 'FAILED'}] {label}", flush=True)
        return ok

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(ok for _, ok in self.checks)

    def markdown(self) -> str:
        form = "short form" if self.short else "full"
        if self.unprotected:
            form += ", protection OFF"
        verdict = "PASS" if self.passed else "FAIL"
        lines = [
            f"### {self.title} (`{self.name}`, {form}): {verdict}",
            "",
            "| figure | value |",
            "| --- | ---: |",
            *(f"| {label} | {value} |" for label, value in self.figures),
            "",
            *(f"- {'✓' if ok else '✗ FAILED:'} {label}" for label, ok in self.checks),
        ]
        if self.notes:
            lines += ["", *self.notes]
        lines += ["", f"Scenario time: {self.seconds:.0f} s.", ""]
        return "\n".join(lines)

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "passed": self.passed,
            "short": self.short,
            "unprotected": self.unprotected,
            "figures": dict(self.figures),
            "checks": [{"check": label, "ok": ok} for label, ok in self.checks],
            "seconds": round(self.seconds, 1),
        }
