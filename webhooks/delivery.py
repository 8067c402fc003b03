"""One HTTP POST to a checked address: no redirects, 30 s in all, TLS checked for the name.

The URL is resolved and every address checked (webhooks.addresses.check_url) right before
sending, and the connection goes to one of those checked addresses: the name is not resolved
again by the HTTP library, so DNS cannot be switched between the check and the connection
(rebinding). The name goes in the Host header, in SNI and in the certificate check.
"""

import contextlib
import socket
import threading
from dataclasses import dataclass

import certifi
import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection

from .addresses import Target

# How much of the receiver's answer we read: we keep only its status.
READ_AT_MOST = 1024
# Addresses tried per attempt (each gets 5 s to connect).
ADDRESSES_TRIED = 3
# The whole attempt (connecting, TLS, sending, the answer), by the clock: urllib3's read
# timeout limits each read of the socket, not the request, so a receiver dripping a byte a
# second would otherwise hold the worker for minutes, and past the claim's lease
# (WEBHOOKS_LEASE_SECONDS, 120 s) the sweeper would hand the delivery to another worker while
# this one still sends it. At the deadline the socket is shut, which ends any read at once.
DEADLINE_SECONDS = 30


class DeadlinePassed(TimeoutError):
    """The receiver took longer than DEADLINE_SECONDS in all: the attempt is abandoned."""


class _Deadline:
    """Shuts every socket registered with it once `seconds` have passed (a timer thread).

    It keeps a duplicate of each socket (its own file descriptor for the same connection):
    the TLS layer takes over the original's descriptor (it detaches it), and a shutdown of
    the duplicate ends the connection under both; being ours, it cannot be closed and its
    number reused for another connection before the timer fires.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.passed = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock.dup())
            if self.passed:
                _shut(self._sockets[-1])

    def _expire(self) -> None:
        with self._lock:
            self.passed = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    """A connection class whose socket, once connected, is handed to the attempt's deadline
    (before the TLS handshake, so that a slow handshake is cut short too)."""

    def __init__(self, *args, deadline: _Deadline, **kwargs):
        self._deadline = deadline
        super().__init__(*args, **kwargs)

    def _new_conn(self):
        sock = super()._new_conn()
        self._deadline.watch(sock)
        return sock


class _WatchedHTTP(_Watched, HTTPConnection):
    pass


class _WatchedHTTPS(_Watched, HTTPSConnection):
    pass


@dataclass(frozen=True)
class Response:
    status: int


def post(target: Target, body: bytes, headers: dict[str, str]) -> Response:
    """POST `body` to `target`, trying its checked addresses in turn until one connects, all
    within DEADLINE_SECONDS.

    Raises urllib3's errors (timeouts, refused connections, TLS failures), DeadlinePassed.
    """
    with _Deadline(DEADLINE_SECONDS) as deadline:
        try:
            return _post(target, body, headers, deadline)
        except Exception as exc:
            if deadline.passed:
                raise DeadlinePassed(
                    f"The server took more than {DEADLINE_SECONDS} seconds to answer."
                ) from exc
            raise


def _post(target: Target, body: bytes, headers: dict[str, str], deadline: _Deadline) -> Response:
    timeout = urllib3.Timeout(connect=5, read=settings.WEBHOOKS_TIMEOUT_SECONDS)
    headers = {
        **headers,
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": "Cluster-Exchange-Webhooks/1",
    }
    last_error: Exception | None = None
    for address in target.addresses[:ADDRESSES_TRIED]:
        host = f"[{address}]" if ":" in address else address
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                host,
                target.port,
                timeout=timeout,
                retries=False,
                maxsize=1,
                cert_reqs="CERT_REQUIRED",
                ca_certs=settings.WEBHOOKS_CA_BUNDLE or certifi.where(),
                server_hostname=target.host,
                assert_hostname=target.host,
                deadline=deadline,
            )
            pool.ConnectionCls = _WatchedHTTPS
        else:  # only with WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (tests, local runs)
            pool = urllib3.HTTPConnectionPool(
                host, target.port, timeout=timeout, retries=False, maxsize=1, deadline=deadline
            )
            pool.ConnectionCls = _WatchedHTTP
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                response.read(READ_AT_MOST)
            finally:
                response.release_conn()
            return Response(response.status)
        except urllib3.exceptions.NewConnectionError as exc:
            last_error = exc  # this address does not answer: try the next checked one
        finally:
            pool.close()
    assert last_error is not None
    raise last_error
