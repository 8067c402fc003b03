"""One HTTP POST to a checked address: no redirects, a short timeout, TLS checked for the name.

The URL is resolved and every address checked (webhooks.addresses.check_url) right before
sending, and the connection goes to one of those checked addresses: the name is not resolved
again by the HTTP library, so DNS cannot be switched between the check and the connection
(rebinding). The name goes in the Host header, in SNI and in the certificate check.
"""

from dataclasses import dataclass

import certifi
import urllib3
from django.conf import settings

from .addresses import Target

# How much of the receiver's answer we read: we keep only its status.
READ_AT_MOST = 1024
# Addresses tried per attempt, so that an attempt lasts at most 3 x 5 s to connect and 10 s
# to answer: well inside the claim's lease (WEBHOOKS_LEASE_SECONDS, 120 s).
ADDRESSES_TRIED = 3


@dataclass(frozen=True)
class Response:
    status: int


def post(target: Target, body: bytes, headers: dict[str, str]) -> Response:
    """POST `body` to `target`, trying its checked addresses in turn until one connects.

    Raises urllib3's errors (timeouts, refused connections, TLS failures).
    """
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
            )
        else:  # only with WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (tests, local runs)
            pool = urllib3.HTTPConnectionPool(
                host, target.port, timeout=timeout, retries=False, maxsize=1
            )
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
