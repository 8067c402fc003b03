"""Rate limits hold across processes: a real gunicorn with two workers, as `make run` starts it.

Each worker is replaced after every request (`--max-requests 1`), so no two requests are
ever answered from the same process memory: a limit that counted per process (Django's
`locmem` cache) would never trip here, whatever worker the kernel hands a request to.
"""

import html
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from enquiries.forms import started_token
from enquiries.models import Enquiry
from tests.factories import UserFactory
from tests.services import ROOT, database_url, free_port

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def gunicorn(workers: int = 2):
    """gunicorn on a free loopback port, on the test database, with the local cache default."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        }
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--max-requests",
            "1",
            "--preload",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/accessibility/", timeout=5).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "gunicorn did not start: " + process.stderr.read().decode()[-3000:]
                    ) from None
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Just enough of a browser: cookies kept, redirects answered but not followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects()
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(data).encode(),
            headers={"Referer": self.base + path},
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def hidden(page: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


def test_the_sign_in_lockout_comes_at_the_sixth_failure_whatever_worker_answers():
    UserFactory(email="target@example.org")
    with gunicorn() as base:
        browser = Browser(base)
        token = hidden(browser.get("/account/login/"), "csrfmiddlewaretoken")
        answers = []
        for _ in range(6):
            status, page = browser.post(
                "/account/login/",
                {
                    "csrfmiddlewaretoken": token,
                    "login": "target@example.org",
                    "password": "not the password at all",
                },
            )
            answers.append("Too many failed sign-in attempts" in page)
    assert answers == [False] * 5 + [True]


def test_the_sixth_enquiry_in_an_hour_is_refused_whatever_worker_answers():
    with gunicorn() as base:
        browser = Browser(base)
        csrf = hidden(browser.get("/get-in-touch/"), "csrfmiddlewaretoken")
        statuses = []
        for _ in range(6):
            status, _ = browser.post(
                "/get-in-touch/",
                {
                    "csrfmiddlewaretoken": csrf,
                    "name": "Grace Hopper",
                    "email": "grace@example.org",
                    "organisation_kind": "business",
                    "topic": "funding",
                    "message": "Is there funding for a hydrogen boiler trial?",
                    "website": "",
                    # Six copies of the form, as if shown a minute ago (each is single use).
                    "started": started_token(now=time.time() - 60),
                },
            )
            statuses.append(status)
    assert statuses == [302] * 5 + [429]
    assert Enquiry.objects.count() == 5


def test_one_copy_of_the_form_sent_twice_at_once_to_two_workers_makes_one_enquiry():
    with gunicorn() as base:
        browsers = [Browser(base), Browser(base)]
        for browser in browsers:
            browser.csrf = hidden(browser.get("/get-in-touch/"), "csrfmiddlewaretoken")
        started = started_token(now=time.time() - 60)

        def send(browser):
            return browser.post(
                "/get-in-touch/",
                {
                    "csrfmiddlewaretoken": browser.csrf,
                    "name": "Grace Hopper",
                    "email": "grace@example.org",
                    "organisation_kind": "business",
                    "topic": "funding",
                    "message": "Is there funding for a hydrogen boiler trial?",
                    "website": "",
                    "started": started,
                },
            )

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, browsers))
    assert sorted(status for status, _ in answers) == [200, 302]
    assert any("You have already sent this form" in page for _, page in answers)
    assert Enquiry.objects.count() == 1
