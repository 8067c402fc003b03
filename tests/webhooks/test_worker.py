"""A real Celery worker, on a real Redis, delivers to a real local HTTPS server.

Private addresses are allowed for this test only (the server is on 127.0.0.1), in the test
process and in the worker's environment; its certificate is made here and trusted through
WEBHOOKS_CA_BUNDLE, so TLS is checked for the name "localhost" as it would be for any host.
"""

import http.server
import json
import shutil
import ssl
import subprocess
import threading

import pytest

from tests.conftest import require
from tests.services import RedisServer, broker, celery_workers, wait_for
from tests.webhooks.test_signing import verify_as_documented
from webhooks import services
from webhooks.models import Delivery
from webhooks.tasks import deliver_webhook_task


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def https_server(tmp_path):
    require(shutil.which("openssl") is not None, "openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost"],
        check=True,
        capture_output=True,
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    _Receiver.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, cert
    server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_an_event_emitted_while_redis_was_down(
    member, https_server, settings
):
    server, cert = https_server
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    url = f"https://localhost:{server.server_port}/hook"
    endpoint, secret = services.create_endpoint(member, url, ["match.created"])
    redis = RedisServer()
    try:
        redis.stop()
        options = {"socket_timeout": 2, "socket_connect_timeout": 2}
        with broker(redis.url, options):
            # Redis down: the event is saved; queuing it fails (logged), nothing is lost.
            assert services.emit("match.created", {"n": 1}, user_ids=[member.pk], key="k1") == 1
        delivery = Delivery.objects.get()
        assert delivery.status == "pending" and delivery.attempts == 0
        redis.start()
        env = {"WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "true", "WEBHOOKS_CA_BUNDLE": str(cert)}
        workers = celery_workers(redis.url, count=2, concurrency=2, extra_env=env)
        with broker(redis.url, options), workers:
            assert services.send_due() == 1  # what beat runs every minute
            wait_for(lambda: Delivery.objects.get().status == "delivered", timeout=60)
            # Emitted with Redis up: queued on commit, delivered at once. Each is nudged
            # twice more, as a sweep would while it waits: 4 worker processes, 3 messages
            # per delivery, and still each is sent once (the claim).
            items = [({"n": n}, [member.pk], f"k{n}") for n in range(2, 22)]
            services.emit_many("match.created", items)
            for pk in Delivery.objects.filter(status="pending").values_list("pk", flat=True):
                deliver_webhook_task.delay(pk)
                deliver_webhook_task.delay(pk)
            wait_for(lambda: Delivery.objects.filter(status="delivered").count() == 21, 90)
    finally:
        redis.stop()
    ids = [headers["X-Cluster-Exchange-Delivery"] for headers, _ in _Receiver.received]
    assert len(ids) == len(set(ids)) == 21  # each once
    headers, body = _Receiver.received[0]
    assert headers["Host"] == f"localhost:{server.server_port}"
    assert verify_as_documented(secret, headers, body)
    assert json.loads(body)["data"] == {"n": 1}
    assert Delivery.objects.get(event_id="k1").last_status_code == 204
