"""Security headers on every page: the Content Security Policy and the Permissions-Policy."""

import re

import pytest
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.template import engines
from django.urls import reverse

from clusters.importer import import_exchange
from config.middleware import PermissionsPolicyMiddleware
from tests.conftest import SMALL_DOCUMENT

pytestmark = pytest.mark.django_db

# An inline script (one that runs: JSON data blocks do not), an inline style element or a
# style attribute: each would be blocked by the policy.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|<style[\s>]|\sstyle=|\son[a-z]+=",
    re.IGNORECASE,
)


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_every_page_gets_a_strict_content_security_policy(client):
    policy = directives(client.get("/"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no nonce unless a page uses one
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in client.get("/").headers["Content-Security-Policy"]


def test_every_page_switches_off_browser_features_it_never_uses(client):
    header = client.get("/").headers["Permissions-Policy"]
    features = dict(item.strip().split("=") for item in header.split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "fullscreen"):
        assert features[feature] == "()"
    # Errors and API answers get it too.
    assert client.get("/no-such-page/").headers["Permissions-Policy"] == header
    assert client.get("/api/").headers["Permissions-Policy"] == header


def test_a_nonce_is_listed_only_for_a_page_that_uses_it(rf):
    template = engines["django"].from_string('<script nonce="{{ CSP_NONCE }}">go()</script>')

    def view(request):
        return HttpResponse(template.render({}, request))

    request = rf.get("/")
    response = CSPMiddleware(PermissionsPolicyMiddleware(view))(request)
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"script-src 'self' 'nonce-{nonce}'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/clusters/",
        "/clusters/humber/",
        "/challenges/",
        "/offers/",
        "/listings/L-0001/",
        "/get-in-touch/",
        "/account/login/",
        "/account/signup/",
        "/account/password/reset/",
        "/accessibility/",
        "/cookies/",
        "/no-such-page/",
        "/api/docs/",
    ],
)
def test_public_pages_have_no_inline_script_or_style(client, path):
    import_exchange(SMALL_DOCUMENT)
    page = client.get(path).content.decode()
    assert not INLINE.search(page), INLINE.search(page).group(0)


def test_signed_in_and_admin_pages_have_no_inline_script_or_style(client, member, staff):
    import_exchange(SMALL_DOCUMENT)
    organisation = member.memberships.get().organisation
    client.force_login(member)
    for path in [
        reverse("clusters:dashboard"),
        reverse("clusters:listing-create", args=[organisation.ref]),
        reverse("account_email"),
    ]:
        page = client.get(path).content.decode()
        assert not INLINE.search(page), (path, INLINE.search(page).group(0))
    client.force_login(staff)
    for path in ["/admin/", "/admin/clusters/listing/", "/admin/enquiries/enquiry/"]:
        response = client.get(path)
        assert response.status_code == 200
        page = response.content.decode()
        assert not INLINE.search(page), (path, INLINE.search(page).group(0))


def test_the_api_docs_need_no_script_of_their_own(client):
    scripts = re.compile(r"<script\b[^>]*>")
    page = client.get("/api/docs/").content.decode()
    plain = client.get("/accessibility/").content.decode()  # base.html's scripts, no more
    assert scripts.findall(page) == scripts.findall(plain)
    assert len(scripts.findall(page)) == 2
    # Without JavaScript the page as served already holds the reference: every operation.
    assert page.count("<h3") >= 8 and "GET /api/challenges/{ref}/" in page
    assert "?script=" not in page and "<noscript" not in page


def test_no_page_template_has_an_inline_style_the_policy_would_block():
    """style-src 'self' drops style="…" attributes: two webhook pages' "word-break" did
    nothing, and their long addresses widened the page (stop 27). Emails are not pages."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[1] / "templates"
    found = [
        str(path.relative_to(templates))
        for path in sorted(templates.rglob("*.html"))
        if "emails" not in path.relative_to(templates).parts
        and re.search(r"\sstyle=", path.read_text(encoding="utf-8"))
    ]
    assert found == []
