"""Endpoints on private, local or reserved addresses are refused, when added and when sent."""

import os
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.conftest import confirm_it_is_you
from webhooks import addresses, services
from webhooks.models import Delivery

REFUSED = [
    "https://10.0.0.5/hook",
    "https://127.0.0.1/hook",
    "https://127.1.2.3:8443/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://192.168.1.10/hook",
    "https://172.16.0.1/hook",
    "https://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://240.0.0.1/hook",
    "https://[::1]/hook",
    "https://[::]/hook",
    "https://[fd00::1]/hook",
    "https://[fe80::1]/hook",
    "https://[ff02::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://[64:ff9b::7f00:1]/hook",  # NAT64 for 127.0.0.1
    "https://[2002:7f00:1::]/hook",  # 6to4 for 127.0.0.1
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_link_local_and_reserved_addresses_are_refused(url, dns):
    with pytest.raises(addresses.Refused, match="public internet"):
        addresses.check_url(url)


def test_a_name_that_resolves_to_loopback_is_refused():
    # The real resolver: localhost is 127.0.0.1 (or ::1) on every machine.
    with pytest.raises(addresses.Refused, match="private, local or reserved"):
        addresses.check_url("https://localhost/hook")


def test_a_name_with_one_private_address_among_public_ones_is_refused(dns):
    dns["mixed.example.org"] = ["93.184.215.14", "10.1.2.3"]
    with pytest.raises(addresses.Refused, match="10.1.2.3"):
        addresses.check_url("https://mixed.example.org/hook")


def test_port_0_is_refused_not_sent_to_443(dns):
    """urlsplit reads ":0" as port 0, which `port or 443` turned into 443 (attacker probe)."""
    with pytest.raises(addresses.Refused, match="Port 0"):
        addresses.check_url("https://hooks.example.org:0/hook")


def test_plain_http_is_refused(dns):
    with pytest.raises(addresses.Refused, match="https://"):
        addresses.check_url("http://hooks.example.org/hook")


def test_a_name_that_does_not_resolve_is_refused_with_what_to_check(dns):
    with pytest.raises(addresses.Refused, match="spelt correctly"):
        addresses.check_url("https://nowhere.example.org/hook")


def test_a_public_https_address_is_accepted_with_what_to_connect_to(dns):
    target = addresses.check_url("https://hooks.example.org:8443/in?x=1")
    assert target.addresses == ("93.184.215.14",)
    assert (target.host, target.port, target.path) == ("hooks.example.org", 8443, "/in?x=1")
    assert target.host_header == "hooks.example.org:8443"


def test_the_form_says_in_plain_english_why_an_address_is_refused(client, member, dns):
    client.force_login(member)
    confirm_it_is_you(client)
    response = client.post(
        reverse("webhooks:create"), {"url": "https://10.0.0.5/hook", "events": ["match.created"]}
    )
    assert response.status_code == 200
    assert "We only send webhooks to servers on the public internet" in response.text
    assert not member.webhook_endpoints.exists()


@pytest.mark.django_db
def test_a_name_that_now_resolves_to_a_private_address_is_not_sent_to(
    member, make_endpoint, dns, receiver
):
    """DNS rebinding: public when added, private at delivery. Nothing is sent."""
    endpoint, _ = make_endpoint(member)
    ping = services.send_ping(endpoint)
    assert services.deliver(ping.pk) == "delivered"
    assert len(receiver.calls) == 1
    dns["hooks.example.org"] = ["10.0.0.7"]
    Delivery.objects.filter(pk=ping.pk).update(status="pending", next_attempt_at=ping.created_at)
    assert services.deliver(ping.pk) == "pending"
    assert len(receiver.calls) == 1
    ping.refresh_from_db()
    assert "private, local or reserved" in ping.last_error


def test_production_refuses_to_start_with_private_addresses_allowed():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "example.org",
        "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    probe = "import django; django.setup()"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is on" in out.stderr
    env["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"] = "false"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES" not in out.stderr
