"""Fixtures for the webhook tests: a fake DNS, endpoints, and a receiver that records."""

import ipaddress
import socket

import pytest

from webhooks import addresses, services

PUBLIC = "93.184.215.14"  # a public address (example.com's); nothing connects to it here


@pytest.fixture
def dns(monkeypatch):
    """Names resolve to what the test puts in this dict (others: not found); addresses
    resolve to themselves."""
    table: dict[str, list[str]] = {"hooks.example.org": [PUBLIC]}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return real(host, port, *args, **kwargs)  # an address: nothing to look up
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port),
            )
            for a in table[host]
        ]

    monkeypatch.setattr(addresses.socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def make_endpoint(dns):
    """make_endpoint(user, events=[...], url=...) -> (endpoint, secret), through the service."""

    def make(user, events=("match.created",), url="https://hooks.example.org/in"):
        return services.create_endpoint(user, url, events)

    return make


class Recorder:
    """Stands in for webhooks.delivery.post: records each request, answers `status`."""

    def __init__(self):
        self.status = 200
        self.calls = []
        self.error: Exception | None = None

    def __call__(self, target, body, headers):
        self.calls.append((target, body, headers))
        if self.error is not None:
            raise self.error
        return services.delivery.Response(self.status)


@pytest.fixture
def receiver(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(services.delivery, "post", recorder)
    return recorder
