"""Delivering: 2xx is delivered; anything else is tried again with backoff, then failed."""

import http.server
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks import services
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def due_now(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_2xx_answer_marks_the_delivery_delivered(member, make_endpoint, receiver):
    endpoint, _ = make_endpoint(member)
    ping = services.send_ping(endpoint)
    receiver.status = 204
    assert services.deliver(ping.pk) == "delivered"
    ping.refresh_from_db()
    assert (ping.status, ping.attempts, ping.last_status_code) == ("delivered", 1, 204)
    assert ping.delivered_at is not None
    # Done: a second nudge sends nothing.
    assert services.deliver(ping.pk) == "delivered"
    assert len(receiver.calls) == 1


def test_failures_are_retried_with_growing_waits_then_given_up(member, make_endpoint, receiver):
    endpoint, _ = make_endpoint(member)
    ping = services.send_ping(endpoint)
    receiver.status = 500
    waits = []
    for attempt in range(1, services.MAX_ATTEMPTS):
        before = timezone.now()
        assert services.deliver(ping.pk) == "pending"
        ping.refresh_from_db()
        assert (ping.attempts, ping.last_status_code) == (attempt, 500)
        waits.append((ping.next_attempt_at - before).total_seconds())
        # Not due yet: nothing is sent.
        assert services.deliver(ping.pk) == "pending"
        assert len(receiver.calls) == attempt
        due_now(ping)
    expected = [60, 300, 1800, 7200, 43200]
    for wait, base in zip(waits, expected, strict=True):
        assert base * 0.79 <= wait <= base * 1.21, (waits, expected)
    assert services.deliver(ping.pk) == "failed"
    ping.refresh_from_db()
    assert (ping.status, ping.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert services.deliver(ping.pk) == "failed"
    assert len(receiver.calls) == services.MAX_ATTEMPTS


def test_waits_have_jitter_so_failures_do_not_come_back_together():
    assert len({services.next_wait(1) for _ in range(20)}) > 1
    assert services.next_wait(services.MAX_ATTEMPTS) is None


def test_a_connection_error_is_retried_with_a_short_error(member, make_endpoint, receiver):
    endpoint, _ = make_endpoint(member)
    ping = services.send_ping(endpoint)
    receiver.error = TimeoutError("timed out " * 100)
    assert services.deliver(ping.pk) == "pending"
    ping.refresh_from_db()
    assert ping.last_error.startswith("TimeoutError: timed out")
    assert len(ping.last_error) <= 300 and ping.last_status_code is None


def test_a_delivery_claimed_by_another_worker_is_not_sent_until_its_lease_runs_out(
    member, make_endpoint, receiver
):
    endpoint, _ = make_endpoint(member)
    ping = services.send_ping(endpoint)
    now = timezone.now()
    Delivery.objects.filter(pk=ping.pk).update(status="sending", claimed_at=now, claimed_by="w1")
    assert services.deliver(ping.pk) == "sending"
    assert receiver.calls == []
    Delivery.objects.filter(pk=ping.pk).update(claimed_at=now - services.lease() - timedelta(1))
    assert services.deliver(ping.pk) == "delivered"
    assert len(receiver.calls) == 1


def test_the_sweeper_queues_what_is_due_and_stale_claims_only(member, make_endpoint, monkeypatch):
    endpoint, _ = make_endpoint(member)
    due, later, stale, fresh, done = (services.send_ping(endpoint) for _ in range(5))
    now = timezone.now()
    Delivery.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(minutes=5))
    Delivery.objects.filter(pk=stale.pk).update(
        status="sending", claimed_at=now - services.lease() - timedelta(seconds=1)
    )
    Delivery.objects.filter(pk=fresh.pk).update(status="sending", claimed_at=now)
    Delivery.objects.filter(pk=done.pk).update(status="delivered")
    queued = []
    monkeypatch.setattr(services, "_queue", queued.extend)
    assert services.send_due() == 2
    assert sorted(queued) == sorted([due.pk, stale.pk])


def test_a_turned_off_endpoint_gets_nothing_more(member, make_endpoint, receiver, staff):
    endpoint, _ = make_endpoint(member)
    waiting = services.send_ping(endpoint)
    assert services.deactivate_endpoint(endpoint, "Answers 500 all day.")
    waiting.refresh_from_db()
    assert waiting.status == "failed"
    assert services.deliver(waiting.pk) == "failed"
    assert receiver.calls == []
    assert not services.deactivate_endpoint(endpoint, "again")


class _Redirecting(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        self.seen.append(self.path)
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(302 if self.path == "/hook" else 200)
        self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_is_not_followed_and_counts_as_a_failure(member, settings):
    """A real local server (private addresses allowed for this test only)."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    server = http.server.HTTPServer(("127.0.0.1", 0), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        endpoint, _ = services.create_endpoint(member, url, ["match.created"])
        ping = services.send_ping(endpoint)
        assert services.deliver(ping.pk) == "pending"
    finally:
        server.shutdown()
    ping.refresh_from_db()
    assert ping.last_status_code == 302
    assert _Redirecting.seen == ["/hook"]


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(
    member, settings, dns, monkeypatch
):
    """The name is resolved once, by the check: it is forgotten between the check and the
    connection, so had the HTTP library resolved it again, nothing would arrive."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    post = services.delivery.post

    def forget_then_post(target, body, headers):
        del dns["checked.example"]
        return post(target, body, headers)

    monkeypatch.setattr(services.delivery, "post", forget_then_post)
    hosts = []

    class Handler(_Redirecting):
        def do_POST(self):  # noqa: N802
            hosts.append(self.headers["Host"])
            super().do_POST()

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dns["checked.example"] = ["127.0.0.1"]
    try:
        url = f"http://checked.example:{server.server_port}/ok"
        endpoint, _ = services.create_endpoint(member, url, ["match.created"])
        ping = services.send_ping(endpoint)
        assert services.deliver(ping.pk) == "delivered"
    finally:
        server.shutdown()
    assert hosts == [f"checked.example:{server.server_port}"]
