"""Real HTTP through nginx: a member signing in and publishing listings as a person would (the
site's own forms, CSRF token included), and a crowd reading public pages."""

import re
import threading
import time
from dataclasses import dataclass

import requests


class Member:
    def __init__(self, base: str, certificate: str, email: str, password: str):
        self.base = base
        self.session = requests.Session()
        # Passed with each request: a session's own `verify` loses to REQUESTS_CA_BUNDLE.
        self.verify = certificate
        self.email, self.password = email, password

    def _post(self, path: str, data: dict) -> requests.Response:
        data = {"csrfmiddlewaretoken": self.session.cookies.get("csrftoken", ""), **data}
        # Django checks the Referer of a POST over HTTPS.
        return self.session.post(
            self.base + path,
            data=data,
            headers={"Referer": self.base + path},
            timeout=30,
            verify=self.verify,
        )

    def sign_in(self) -> None:
        self.session.get(
            self.base + "/account/login/", timeout=30, verify=self.verify
        ).raise_for_status()
        answer = self._post("/account/login/", {"login": self.email, "password": self.password})
        answer.raise_for_status()
        if "sessionid" not in self.session.cookies:
            raise RuntimeError(f"sign-in refused (HTTP {answer.status_code})")

    def publish(self, organisation: str, title: str, description: str, themes: list[int]) -> str:
        """Create a listing with the form, then press Publish. Returns its ref; raises on a
        refusal or an error page."""
        path = f"/your-organisation/{organisation}/listings/new/"
        self.session.get(self.base + path, timeout=30, verify=self.verify).raise_for_status()
        answer = self._post(
            path,
            {
                "kind": "need",
                "title": title,
                "description": description,
                "themes": [str(t) for t in themes],
                "partner_kind": "any",
            },
        )
        answer.raise_for_status()
        found = re.search(r"/listings/([^/]+)/preview/$", answer.url)
        if not found:
            raise RuntimeError(f"the listing form did not save (HTTP {answer.status_code})")
        ref = found.group(1)
        answer = self._post(f"/listings/{ref}/publish/", {})
        answer.raise_for_status()
        if "Your listing is published" not in answer.text:
            raise RuntimeError(f"{ref}: publishing was not confirmed")
        return ref


@dataclass
class Hit:
    started: float
    ended: float
    status: int  # 0: no answer (connection error)


class Crowd:
    """`people` threads reading public pages through nginx, each on its own connection, until
    stopped; every request's start, end and status are kept."""

    def __init__(self, base: str, certificate: str, paths: list[str], people: int):
        self.base, self.certificate, self.paths, self.people = base, certificate, paths, people
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._read, args=(n,)) for n in range(people)]

    def _read(self, n: int) -> None:
        session = requests.Session()
        i = n
        while not self.stopping.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            started = time.monotonic()
            try:
                answer = session.get(self.base + path, timeout=30, verify=self.certificate)
                status = answer.status_code
            except requests.RequestException:
                status = 0
            with self.lock:
                self.hits.append(Hit(started, time.monotonic(), status))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)
