"""Each delivery is signed so that the receiver can check it, with the documented recipe."""

import hashlib
import hmac
import json
import time

import pytest

from webhooks import services, signing
from webhooks.models import Endpoint


def verify_as_documented(secret: str, headers: dict, body: bytes, tolerance=300) -> bool:
    """The receiver's check, as docs/api.md shows it (standard library only)."""
    timestamp = headers["X-Cluster-Exchange-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest("sha256=" + expected, headers["X-Cluster-Exchange-Signature"])


@pytest.mark.django_db
def test_a_delivery_verifies_with_the_documented_recipe(member, make_endpoint, receiver):
    endpoint, secret = make_endpoint(member)
    ping = services.send_ping(endpoint)
    services.deliver(ping.pk)
    target, body, headers = receiver.calls[0]
    assert verify_as_documented(secret, headers, body)
    assert headers["X-Cluster-Exchange-Event"] == "ping"
    assert headers["X-Cluster-Exchange-Delivery"] == str(ping.public_id)
    assert json.loads(body)["id"] == str(ping.public_id)
    # Any change to the body, the timestamp or the secret breaks it.
    assert not verify_as_documented(secret, headers, body.replace(b"test", b"tost"))
    assert not verify_as_documented(secret + "x", headers, body)
    old = {**headers, "X-Cluster-Exchange-Timestamp": str(int(time.time()) - 301)}
    assert not verify_as_documented(secret, old, body)


@pytest.mark.django_db
def test_the_secret_is_stored_encrypted_and_read_back_for_signing(member, make_endpoint):
    endpoint, secret = make_endpoint(member)
    stored = Endpoint.objects.get(pk=endpoint.pk)
    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret not in stored.secret_sealed
    assert signing.unseal(stored.secret_sealed) == secret
    assert stored.secret_hint == secret[-4:]


def test_a_secret_sealed_under_an_old_key_still_opens_from_the_fallbacks(settings):
    sealed = signing.seal("whsec_abc")
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-" + "y" * 40
    with pytest.raises(ValueError):
        signing.unseal(sealed)
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert signing.unseal(sealed) == "whsec_abc"
