"""Fuzzing the forms anyone can send: Get in touch, sign-up, sign-in, password reset, email
confirmation and the links in emails. No answer is a server error."""

import time

import pytest
from allauth.account.utils import user_pk_to_url_str
from django.core import signing
from hypothesis import given
from hypothesis import strategies as st

from clusters.models import Cluster
from enquiries.forms import TIMESTAMP_SALT
from notifications import tokens
from tests.fuzz.strategies import HUGE, form_data, fuzz, fuzz_more, ids, odd_text, plain_text, send

pytestmark = pytest.mark.django_db

ENQUIRY_KINDS = ["business", "investor", "university", "public_body", "other"]
ENQUIRY_TOPICS = ["funding", "partnering", "challenge", "platform", "other"]


def _started(seconds_ago: float) -> str:
    return signing.dumps(time.time() - seconds_ago, salt=TIMESTAMP_SALT)


ENQUIRY = {
    "name": st.just("Grace Hopper") | plain_text(max_size=100),
    "email": st.emails(),
    "organisation": st.just("") | plain_text(max_size=100),
    "organisation_kind": st.sampled_from(ENQUIRY_KINDS),
    "topic": st.sampled_from(ENQUIRY_TOPICS),
    "cluster": st.just("") | ids(st.integers(1, 6)),
    "message": st.just("Is there funding for a hydrogen boiler trial?") | plain_text(max_size=2000),
    "consent_to_contact": st.sampled_from(["on", ""]),
    "website": st.just(""),
    "started": st.sampled_from([60.0, 60.0, 1.0, 10**6]).map(_started),
}


@fuzz_more(1.5)
@given(data=form_data(ENQUIRY))
def test_get_in_touch_never_fails(visitor, data):
    assert Cluster.objects.exists()
    send(visitor, "post", "/get-in-touch/", data)


SIGNUP = {
    "name": st.just("Ada Lovelace") | plain_text(max_size=150),
    "email": st.emails(),
    "password1": st.just("a long enough password"),
    "password2": st.just("a long enough password"),
    "accept_privacy": st.just("on"),
}


@fuzz
@given(data=form_data(SIGNUP))
def test_sign_up_never_fails(client, world, data):
    send(client, "post", "/account/signup/", data)


@fuzz
@given(
    data=form_data(
        {
            "login": st.sampled_from(["member", "nobody@example.org"]),
            "password": st.just("a long enough password"),
            "remember": st.just("on"),
        }
    )
)
def test_sign_in_never_fails(client, world, data):
    if data.get("login") == "member":
        data["login"] = world.member.email
    send(client, "post", "/account/login/", data)


@fuzz
@given(data=form_data({"email": st.emails() | st.just("member")}))
def test_password_reset_never_fails(client, world, data):
    if data.get("email") == "member":
        data["email"] = world.member.email
    send(client, "post", "/account/password/reset/", data)


@fuzz
@given(
    uid=st.sampled_from(["member", "zz", HUGE, "0"])
    | st.from_regex(r"[0-9A-Za-z]{1,30}", fullmatch=True),
    key=st.from_regex(r"[-0-9A-Za-z:_]{1,60}", fullmatch=True),
    method=st.sampled_from(["get", "post"]),
    data=form_data({"password1": odd_text(), "password2": odd_text()}),
)
def test_password_reset_links_never_fail(client, world, uid, key, method, data):
    uid = user_pk_to_url_str(world.member) if uid == "member" else uid
    send(client, method, f"/account/password/reset/key/{uid}-{key}/", data)


@fuzz
@given(
    key=st.from_regex(r"[-0-9A-Za-z:_]{1,80}", fullmatch=True),
    method=st.sampled_from(["get", "post"]),
)
def test_email_confirmation_links_never_fail(client, world, key, method):
    send(client, method, f"/account/confirm-email/{key}/")


def _email_token(kind: str, number: int) -> str:
    if kind == "unsubscribe":
        return tokens.make(tokens.UNSUBSCRIBE, u=number)
    return tokens.make(tokens.DIGEST, d=number)


@fuzz_more(1.5)
@given(
    link=st.sampled_from(["unsubscribe", "link", "answer"]),
    token=st.builds(
        _email_token,
        st.sampled_from(["unsubscribe", "digest"]),
        # Only the site signs these, and only ever with ids of its own rows.
        st.integers(min_value=1, max_value=2**63 - 1),
    )
    | st.from_regex(r"[-0-9A-Za-z:_]{1,60}", fullmatch=True),
    notice=st.sampled_from(["1", HUGE]) | st.integers(0, 2**70).map(str),
    answer=st.sampled_from(["useful", "not-relevant", "maybe"]),
    to=odd_text(),
    method=st.sampled_from(["get", "post", "head"]),
)
def test_links_in_emails_never_fail(client, world, link, token, notice, answer, to, method):
    path = {
        "unsubscribe": f"/email/unsubscribe/{token}/",
        "link": f"/email/link/{token}/",
        "answer": f"/email/answer/{token}/{notice}/{answer}/",
    }[link]
    send(client, method, path, {"to": to} if method == "get" else None)


REPORT = {
    "reason": st.sampled_from(["wrong", "spam", "offensive", "personal_data", "other"])
    | plain_text(max_size=20),
    "details": st.just("") | plain_text(max_size=2100) | odd_text(),
    "email": st.just("") | st.emails() | plain_text(max_size=60),
    "website": st.just("") | st.just("http://spam.example"),
}


@fuzz
@given(data=form_data(REPORT))
def test_report_a_listing_or_an_organisation_never_fails(visitor, world, data):
    send(visitor, "post", f"/listings/{world.offer.ref}/report/", data)
    send(visitor, "post", f"/organisations/{world.offer.organisation.ref}/report/", data)
    send(visitor, "post", f"/listings/{world.draft.ref}/report/", data)  # 404, never a 500
