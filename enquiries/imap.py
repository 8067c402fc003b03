"""Read the programme's IMAP inbox into enquiries: the periodic task when ENQUIRIES_IMAP_URL is set.

Each email is filed by the same `import_email` as `import_enquiries` uses, then marked in the
mailbox with the keyword `CxImported` (or `CxNotImported` when it cannot be filed: it stays in
the mailbox for a person to read). Emails are fetched with BODY.PEEK, so reading the inbox
here does not mark anything as read for the people who also use it, and nothing is deleted
or moved. The mark is set after the enquiry is saved: if the worker dies in between, the
next run finds the email again and the unique Message-ID makes it a duplicate, so an email is
never lost and never filed twice, even with two workers reading at once.

The URL: `imaps://USER:PASSWORD@HOST[:993][/FOLDER]` (TLS), or `imap://USER:PASSWORD@HOST[:143]
[/FOLDER]` (STARTTLS, required). `?tls=none` allows a plain connection, for a server on the
same machine only (localhost). The folder must let us set keywords (most servers do); one
that does not is refused with a message rather than read by the "seen" flag, which people
reading the inbox would change. USER and PASSWORD are percent-encoded (`@` is `%40`). FOLDER
defaults to INBOX. Certificates are checked against the system's authorities (or `SSL_CERT_FILE`).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.db import DatabaseError

from .services import ImportSummary, MalformedEmail, import_email

log = logging.getLogger(__name__)

IMPORTED = "CxImported"
NOT_IMPORTED = "CxNotImported"
TIMEOUT = 60  # seconds for connecting and for each reply


class MailboxError(Exception):
    """The inbox could not be read: the message says why and what to check."""


@dataclass(frozen=True)
class Inbox:
    host: str
    port: int
    user: str
    password: str
    folder: str
    security: str  # "tls", "starttls" or "none"

    def __str__(self) -> str:  # never shows the password
        return f"{self.user}@{self.host}:{self.port}/{self.folder} ({self.security})"


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def parse_url(url: str) -> Inbox:
    """The inbox a URL names; ValueError says what is wrong with it (never the password)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError("ENQUIRIES_IMAP_URL must start with imaps:// or imap://")
    if "@" in parts.path or parts.netloc.count("@") > 1:
        raise ValueError(
            "ENQUIRIES_IMAP_URL has an @ where it should not: write @ in the user name or the "
            "password as %40 (and / as %2F, : as %3A)"
        )
    if not parts.hostname:
        raise ValueError("ENQUIRIES_IMAP_URL has no server name")
    if not parts.username or parts.password is None:
        raise ValueError(
            "ENQUIRIES_IMAP_URL needs a user name and a password: imaps://USER:PASSWORD@HOST"
        )
    query = parse_qs(parts.query)
    security = "tls" if parts.scheme == "imaps" else "starttls"
    if query.get("tls") == ["none"]:
        if parts.hostname not in LOCAL_HOSTS:
            raise ValueError(
                "ENQUIRIES_IMAP_URL: tls=none (no encryption) is only allowed for a mail "
                "server on this machine; use imaps:// for another server"
            )
        security = "none"
    elif "tls" in query:
        raise ValueError("ENQUIRIES_IMAP_URL: the only tls option is tls=none")
    try:
        port = parts.port or (993 if parts.scheme == "imaps" else 143)
    except ValueError:
        raise ValueError(
            "ENQUIRIES_IMAP_URL has a port that is not a number from 1 to 65535"
        ) from None
    return Inbox(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        security=security,
    )


def _connect(inbox: Inbox) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    if inbox.security == "tls":
        client = imaplib.IMAP4_SSL(inbox.host, inbox.port, ssl_context=context, timeout=TIMEOUT)
    else:
        client = imaplib.IMAP4(inbox.host, inbox.port, timeout=TIMEOUT)
        if inbox.security == "starttls":
            client.starttls(ssl_context=context)
    client.login(inbox.user, inbox.password)
    return client


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(result: tuple[str, list], doing: str) -> list:
    kind, data = result
    if kind != "OK":
        text = b" ".join(x for x in data if isinstance(x, bytes)).decode("utf-8", "replace")
        raise MailboxError(f"The mail server refused to {doing}: {text}")
    return data


def _raw_message(data: list) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _allows_keywords(client: imaplib.IMAP4) -> bool:
    """Whether the folder lets us set our own keywords. With no PERMANENTFLAGS reply at all,
    RFC 3501 says every flag may be stored permanently."""
    reply = client.response("PERMANENTFLAGS")[1]
    if not reply or reply == [None]:
        return True
    flags = " ".join(
        x.decode("ascii", "replace") if isinstance(x, bytes) else str(x) for x in reply
    )
    return "\\*" in flags


def fetch_inbox(url: str, limit: int = 200) -> ImportSummary:
    """File up to `limit` emails of the inbox not marked yet. Raises MailboxError when the
    inbox cannot be read at all (the emails stay where they are for the next run).

    An email that cannot be filed because it is malformed is marked CxNotImported and left
    for a person. Any other failure (the database, a bug) leaves it unmarked, so the next
    run tries it again; a database error stops the run.
    """
    try:
        inbox = parse_url(url)
    except ValueError as exc:
        raise MailboxError(str(exc)) from None
    summary = ImportSummary()
    try:
        client = _connect(inbox)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError, UnicodeError) as exc:
        raise MailboxError(
            f"Could not sign in to the mailbox {inbox}: {exc}. Check ENQUIRIES_IMAP_URL "
            "(server, port, user name and password) and that the server is reachable."
        ) from None
    try:
        try:
            selected = client.select(_quoted(inbox.folder))
        except UnicodeError:
            raise MailboxError(
                f"The folder name {inbox.folder!r} has letters outside plain English: use "
                "INBOX or a folder named with plain letters."
            ) from None
        _check(selected, f"open the folder {inbox.folder!r}")
        if not _allows_keywords(client):
            raise MailboxError(
                f"The mail server does not let us mark emails in {inbox} with our own "
                f"keywords ({IMPORTED}), so we cannot tell which emails are filed without "
                "marking them as read. Use a server or folder that allows keywords."
            )
        criteria = ["UNDELETED", "NOT", "KEYWORD", IMPORTED, "NOT", "KEYWORD", NOT_IMPORTED]
        found = _check(client.uid("SEARCH", None, *criteria), "search the folder")
        uids = b" ".join(x for x in found if isinstance(x, bytes)).split()
        summary.remaining = max(0, len(uids) - limit)
        for uid in uids[:limit]:
            name = f"{inbox.folder}, message UID {uid.decode()}"
            raw = _raw_message(_check(client.uid("FETCH", uid, "(BODY.PEEK[])"), "read an email"))
            if raw is None:  # deleted since the search, or a reply we cannot read: next run
                summary.failed.append(
                    (name, "the server sent no message text; tried again next run")
                )
                continue
            try:
                outcome = import_email(raw)
            except MalformedEmail as exc:
                summary.failed.append((name, str(exc)))
                mark = NOT_IMPORTED
            except DatabaseError:
                raise  # stop: the rest stay unmarked for the next run
            except Exception as exc:  # one bad email must never stop the rest
                log.exception("Could not import %s", name)
                summary.failed.append(
                    (name, f"it could not be filed ({type(exc).__name__}); tried again next run")
                )
                continue
            else:
                mark = IMPORTED
                summary.add(outcome)
            _check(client.uid("STORE", uid, "+FLAGS.SILENT", f"({mark})"), "mark an email as filed")
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise MailboxError(
            f"The connection to the mailbox {inbox} failed while reading it: {exc}. "
            "Emails not yet marked will be read on the next run."
        ) from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return summary
