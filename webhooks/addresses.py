"""Which addresses a webhook may be sent to: public HTTPS hosts only (no SSRF).

An endpoint's URL is checked when it is added (a form error in plain English) and again
at each delivery, because what a name resolves to can change (DNS rebinding). Delivery then
connects to the very address that was checked (webhooks.delivery), never resolving the name
a second time, while sending the name itself as Host and in TLS (SNI, certificate check).
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
# NAT64 (RFC 6052): 64:ff9b::a.b.c.d reaches the IPv4 address a.b.c.d.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Refused(Exception):
    """The URL may not receive webhooks; the message says why, in plain English."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect, and what to call it there."""

    scheme: str
    host: str  # the name from the URL (Host header, SNI, certificate check)
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]  # every address the name resolved to, all checked

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def embedded_ipv4(ip: IP) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4, Teredo), if any."""
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_public(ip: IP) -> bool:
    """False for private, loopback, link-local, multicast, reserved, unspecified and shared
    addresses (and IPv6 addresses that stand for such an IPv4 address)."""
    inner = embedded_ipv4(ip)
    if inner is not None and not is_public(inner):
        return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (ip.version == 6 and ip.is_site_local)
        or not ip.is_global
    )


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (or the address itself)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:  # gaierror is an OSError
        raise Refused(
            f"We could not find the server “{host}”. Check the address is spelt correctly "
            "and that it is on the public internet."
        ) from exc
    seen: list[str] = []
    for info in infos:
        address = info[4][0].split("%", 1)[0]  # without an IPv6 zone
        if address not in seen:
            seen.append(address)
    return seen


def check_url(url: str) -> Target:
    """Parse, resolve and check `url`; raise Refused unless every address is public.

    All of a name's addresses must be public, not just one: a name that resolves to a
    public and a private address could send the connection to either.
    WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (tests and local runs only; refused in production)
    lifts the address check and allows plain http.
    """
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise Refused("Enter a full web address, like https://example.org/webhooks") from exc
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme.lower() not in schemes:
        raise Refused(
            "The address must start with https:// (we only send webhooks over an encrypted "
            "connection)."
        )
    if parts.username or parts.password:
        raise Refused("Take the user name and password out of the address.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("Enter a full web address, like https://example.org/webhooks")
    scheme = parts.scheme.lower()
    if port == 0:  # no server listens there; urlsplit gives 0, which reads as "no port"
        raise Refused("Port 0 cannot be used: take it out of the address, or give the real port.")
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve(host, port)
    if not addresses:
        raise Refused(f"We could not find the server “{host}”.")
    if not allow_private:
        for address in addresses:
            if not is_public(ipaddress.ip_address(address)):
                raise Refused(
                    f"“{host}” is a private, local or reserved address ({address}). We only "
                    "send webhooks to servers on the public internet."
                )
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return Target(scheme, host, port, path, tuple(addresses))
