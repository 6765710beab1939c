"""E-mail: a mailbox read over IMAP (UID checkpoints, IDLE), replies over SMTP (README.md).

Receiving follows one mailbox: SELECT gives its UIDVALIDITY, the cursor is
`{"uidvalidity", "uid"}` and each poll fetches `UID SEARCH UID <uid+1>:*` with
`BODY.PEEK[]` (nothing is marked read). A new UIDVALIDITY means the server rebuilt the
mailbox: it is read again from the start and Message-IDs keep duplicates out. The stream
catches up, then waits in IDLE (RFC 2177) and fetches when the server announces EXISTS.

Replying sends one plain-text message over SMTP with `In-Reply-To` and `References`,
a fresh Message-ID on our domain (the id our sent copy has if it ever comes back), and
maps SMTP answers to our errors: 4xx temporary, 4.7.x and "rate" texts rate limits,
5xx refusals, 530/534/535 rejected credentials.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlsplit

from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient import exceptions as imap_exceptions

from panal.channels.base import (
    AccountCheck,
    AuthFailed,
    Capability,
    ChannelError,
    Connector,
    Page,
    RateLimited,
    Rejected,
    Sent,
    Setting,
    Unavailable,
    register,
)
from panal.core import clock
from panal.listening.choices import Channel

from . import wire

log = logging.getLogger(__name__)

TIMEOUT = 30.0  # seconds for connecting and for each answer
PAGE = 100  # messages per page; more wait for the next page of the same poll
FETCH_CHUNK = 20  # messages per UID FETCH of bodies
MAX_MESSAGE_BYTES = 25 * 1024 * 1024  # larger messages are reported, not downloaded
IDLE_RENEW = 29 * 60  # RFC 2177: re-issue IDLE before the server's 30-minute timeout
DEFAULT_THROTTLE = 300  # seconds to wait when a throttling answer names no time
_WAIT_RE = re.compile(
    r"(\d{1,9}(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?)\b", re.IGNORECASE
)
_THROTTLED_RE = re.compile(
    r"\[THROTTLED\]|throttl|rate.?limit|too many (?:requests|connections|simultaneous|login)",
    re.IGNORECASE,
)
_REPLY_PREFIX_RE = re.compile(r"^\s*re\s*(?:\[\d+\])?\s*:", re.IGNORECASE)


def wait_hint(text: str, now, default: int = DEFAULT_THROTTLE):
    """When to try again after a throttling answer: its own hint if it gives one."""
    match = _WAIT_RE.search(text or "")
    seconds = float(default)
    if match:
        number, unit = float(match.group(1)), match.group(2).lower()
        if unit == "ms" or unit.startswith("millisecond"):
            seconds = number / 1000
        elif unit.startswith("min"):
            seconds = number * 60
        else:
            seconds = number
    return now + timedelta(seconds=min(max(seconds, 1.0), 3600.0))


def endpoint(url: str, ports: dict[str, int]) -> tuple[str, str, int]:
    """(scheme, host, port) of `imaps://host:993`-style settings."""
    parts = urlsplit(url or "")
    if parts.scheme not in ports or not parts.hostname:
        schemes = " or ".join(f"{s}://" for s in ports)
        raise Rejected(f"{url!r} is not a mail server URL ({schemes}host:port)")
    try:
        port = parts.port or ports[parts.scheme]
    except ValueError:
        raise Rejected(f"{url!r} has an invalid port") from None
    return parts.scheme, unquote(parts.hostname), port


# -- error mapping ---------------------------------------------------------------------------


def imap_error(exc: Exception) -> ChannelError:
    """Our error for an IMAP failure (RFC 5530 response codes where the server sends them)."""
    text = str(exc)[:300]
    if isinstance(exc, ChannelError):
        return exc
    if _THROTTLED_RE.search(text):
        return RateLimited(f"IMAP: {text}", wait_hint(text, clock.now()))
    if "[UNAVAILABLE]" in text or "[INUSE]" in text:
        return Unavailable(f"IMAP: {text}")
    if isinstance(exc, imap_exceptions.LoginError) or any(
        code in text for code in ("[AUTHENTICATIONFAILED]", "[AUTHORIZATIONFAILED]", "[EXPIRED]")
    ):
        return AuthFailed(f"IMAP login refused: {text}")
    if "[NONEXISTENT]" in text:
        return Rejected(f"IMAP: the mailbox does not exist: {text}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Unavailable(f"IMAP: the server's certificate is not trusted: {text}")
    return Unavailable(f"IMAP: {type(exc).__name__}: {text}")


@contextlib.contextmanager
def imap_errors():
    try:
        yield
    except (imaplib.IMAP4.error, OSError) as exc:
        raise imap_error(exc) from exc


def smtp_error(exc: Exception) -> ChannelError:
    """Our error for an SMTP failure: by reply code and enhanced status code (RFC 3463)."""
    if isinstance(exc, ChannelError):
        return exc
    code, text = 0, str(exc)
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, answer = next(iter(exc.recipients.values()))
        text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    elif isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        answer = exc.smtp_error
        text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    text = " ".join(text.split())[:300]
    said = f"SMTP {code} {text}".strip() if code else f"SMTP: {text}"
    if code in (530, 534, 535) or isinstance(exc, smtplib.SMTPAuthenticationError):
        return AuthFailed(said)
    if 400 <= code < 500:
        if text.startswith("4.7.") or _THROTTLED_RE.search(text) or " rate " in f" {text} ":
            return RateLimited(said, wait_hint(text, clock.now()))
        return Unavailable(said)
    if code >= 500:
        return Rejected(said)
    if isinstance(exc, UnicodeError) or "SMTPUTF8" in text:
        return Rejected(f"SMTP: the address cannot be sent to this server: {text}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return Unavailable(f"SMTP server cannot do what the settings ask: {text}")
    return Unavailable(f"SMTP: {type(exc).__name__}: {text}")


@contextlib.contextmanager
def smtp_errors():
    try:
        yield
    except (smtplib.SMTPException, OSError, UnicodeError) as exc:
        raise smtp_error(exc) from exc


# -- connections -----------------------------------------------------------------------------


class MailSession:
    """The account's connections for one run: IMAP and SMTP opened on first use.

    It stands where other connectors get an `Http` client: the runner and the reply
    service close it when done, and `close()` from another thread ends a blocking IDLE.
    """

    def __init__(self, connector: EmailConnector, account):
        self.connector, self.account = connector, account
        self._imap: IMAPClient | None = None
        self.uidvalidity: int = 0
        self._smtp: smtplib.SMTP | None = None
        self.idling = False
        self._owner: int | None = None  # the thread that opened IMAP (the only one to talk)
        self._lock = threading.Lock()

    def imap(self) -> IMAPClient:
        """Logged in, the mailbox selected (`self.uidvalidity` set)."""
        if self._imap is not None:
            return self._imap
        setting = self.connector.setting
        scheme, host, port = endpoint(
            setting(self.account, "imap_url"), {"imaps": 993, "imap": 143}
        )
        with imap_errors():
            client = IMAPClient(
                host,
                port=port,
                ssl=scheme == "imaps",
                ssl_context=ssl.create_default_context() if scheme == "imaps" else None,
                timeout=TIMEOUT,
            )
            client.normalise_times = False  # INTERNALDATE with its zone
            try:
                client.login(setting(self.account, "username"), setting(self.account, "password"))
                selected = client.select_folder(setting(self.account, "mailbox"), readonly=True)
            except BaseException:
                _shut(client)
                raise
        self.uidvalidity = int(selected.get(b"UIDVALIDITY") or 0)
        self._imap, self._owner = client, threading.get_ident()
        return client

    def smtp(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        account, setting = self.account, self.connector.setting
        url = setting(account, "smtp_url")
        if not url:
            raise Rejected("no smtp_url is configured for this account")
        scheme, host, port = endpoint(url, {"smtps": 465, "smtp": 587})
        local = (setting(account, "address") or "").rpartition("@")[2] or "localhost"
        context = ssl.create_default_context()
        with smtp_errors():
            if scheme == "smtps":
                server = smtplib.SMTP_SSL(
                    host, port, local_hostname=local, timeout=TIMEOUT, context=context
                )
            else:
                server = smtplib.SMTP(host, port, local_hostname=local, timeout=TIMEOUT)
            try:
                server.ehlo()
                if scheme == "smtp" and setting(account, "smtp_starttls"):
                    server.starttls(context=context)
                    server.ehlo()
                if server.has_extn("auth"):
                    server.login(
                        setting(account, "smtp_username") or setting(account, "username"),
                        setting(account, "smtp_password") or setting(account, "password"),
                    )
            except BaseException:
                server.close()
                raise
        self._smtp = server
        return server

    def close(self) -> None:
        with self._lock:
            client, self._imap = self._imap, None
            server, self._smtp = self._smtp, None
        if client is not None:
            # A polite LOGOUT only from the thread that talks to the server and not in
            # IDLE; from elsewhere (the runner stopping a stream) just close the socket.
            if not self.idling and self._owner == threading.get_ident():
                with contextlib.suppress(Exception):
                    client.logout()
            _shut(client)
        if server is not None:
            with contextlib.suppress(Exception):
                server.quit()
            server.close()


def _shut(client: IMAPClient) -> None:
    """Close the socket at once (from any thread): a blocked IDLE read returns."""
    with contextlib.suppress(Exception):
        client.socket().shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        client.shutdown()


# -- the connector ---------------------------------------------------------------------------


class EmailConnector(Connector):
    kind = Channel.EMAIL
    label = "E-mail (IMAP / SMTP)"
    capabilities = frozenset({Capability.POLL, Capability.STREAM, Capability.REPLY})
    reply_limit = 100_000  # SMTP has no practical limit; this keeps replies sane
    poll_interval = 60.0
    idle_check = 5.0  # seconds between looks at `stop` while idling
    settings = (
        Setting(
            "imap_url",
            "IMAP server: imaps://imap.example.com:993 (TLS) or imap://host:143 (plain).",
            required=True,
            kind="url",
        ),
        Setting("username", "IMAP user name (often the address).", required=True),
        Setting("password", "IMAP password or app password.", required=True, secret=True),
        Setting("mailbox", "The mailbox (folder) to follow.", default="INBOX"),
        Setting(
            "smtp_url",
            "SMTP server for replies: smtp://host:587 (STARTTLS) or smtps://host:465.",
            kind="url",
        ),
        Setting("smtp_starttls", "Use STARTTLS on smtp:// URLs.", default=True, kind="bool"),
        Setting("smtp_username", "SMTP user name (default: username)."),
        Setting("smtp_password", "SMTP password (default: password).", secret=True),
        Setting("address", "Our address: From of replies; mail from it is ignored.", required=True),
        Setting("stream", "Wait in IMAP IDLE instead of polling.", default=True, kind="bool"),
        Setting("poll_interval", "Seconds between polls when not streaming.", kind="float"),
    )

    def make_http(self, account) -> MailSession:  # type: ignore[override]  # mail is not HTTP
        return MailSession(self, account)

    def address(self, account) -> str:
        return (self.setting(account, "address") or "").strip().lower()

    # -- receiving -----------------------------------------------------------------------
    def poll(self, account, http, cursor: dict) -> Page:
        session = self._session(account, http)
        with imap_errors():
            client = session.imap()
            return self._page(account, client, session.uidvalidity, cursor)

    def stream(self, account, http, cursor: dict, stop: threading.Event) -> Iterator[Page]:
        session = self._session(account, http)
        cursor = dict(cursor or {})
        with imap_errors():
            client = session.imap()
            first = True
            while not stop.is_set():
                page = self._page(account, client, session.uidvalidity, cursor)
                if first or page.items or page.errors or page.statuses or page.cursor != cursor:
                    yield page
                first, cursor = False, page.cursor
                if page.more or stop.is_set():
                    continue
                self._wait(client, session, stop, account)

    def _wait(self, client: IMAPClient, session: MailSession, stop, account) -> None:
        """Block until the mailbox changes (IDLE), `stop` is set or IDLE must be renewed."""
        if not client.has_capability("IDLE"):
            stop.wait(float(self.setting(account, "poll_interval") or self.poll_interval))
            if not stop.is_set():
                client.noop()
            return
        client.idle()
        session.idling = True
        started = time.monotonic()
        try:
            while not stop.is_set():
                if _already_read(client):
                    break  # the server spoke while IDLE began: its answer is in the buffer
                looked = time.monotonic()
                answers = client.idle_check(timeout=self.idle_check)
                if any(_is(a, b"BYE") for a in answers):
                    raise Unavailable("IMAP: the server ended the session")
                if any(_is(a, b"EXISTS") for a in answers):
                    break
                if not answers and time.monotonic() - looked < self.idle_check / 2:
                    break  # woken with nothing to read: the connection may be gone; check
                if time.monotonic() - started > IDLE_RENEW:
                    break
        finally:
            session.idling = False
        if stop.is_set():
            with contextlib.suppress(Exception):
                client.idle_done()
            return
        client.idle_done()

    def _page(self, account, client: IMAPClient, validity: int, cursor: dict) -> Page:
        try:
            last = max(int(cursor.get("uid") or 0), 0)
        except (TypeError, ValueError):
            last = 0
        if cursor.get("uidvalidity") not in (None, validity):
            log.warning(
                "%s: mailbox %s was rebuilt (UIDVALIDITY %s, was %s): reading it again "
                "from the start; Message-IDs keep duplicates out",
                account.slug,
                self.setting(account, "mailbox"),
                validity,
                cursor.get("uidvalidity"),
            )
            last = 0
        # `n:*` matches the last message even when its UID is below n: filter.
        uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        batch = uids[:PAGE]
        page = Page(cursor={"uidvalidity": validity, "uid": batch[-1] if batch else last})
        page.more = len(uids) > PAGE
        if not batch:
            return page
        sizes = client.fetch(batch, ["RFC822.SIZE"])
        wanted = []
        for uid in batch:
            size = int((sizes.get(uid) or {}).get(b"RFC822.SIZE") or 0)
            if size > MAX_MESSAGE_BYTES:
                page.errors.append(f"UID {uid}: {size} bytes is over the size limit; not read")
                log.warning("%s: %s", account.slug, page.errors[-1])
            elif uid in sizes:
                wanted.append(uid)
        own = self.address(account)
        mailbox = self.setting(account, "mailbox")
        for start in range(0, len(wanted), FETCH_CHUNK):
            chunk = wanted[start : start + FETCH_CHUNK]
            fetched = client.fetch(chunk, ["BODY.PEEK[]", "INTERNALDATE"])
            for uid in chunk:
                data = fetched.get(uid) or {}
                raw = data.get(b"BODY[]")
                if not isinstance(raw, bytes):
                    continue  # expunged meanwhile
                where = {"mailbox": mailbox, "uidvalidity": validity, "uid": uid}
                self._read(account, page, raw, data.get(b"INTERNALDATE"), own, where)
        return page

    def _read(self, account, page: Page, raw: bytes, internaldate, own: str, where: dict) -> None:
        uid = where["uid"]
        try:
            reading = wire.read(
                raw, internaldate=internaldate, own_address=own, extra_raw={"imap": where}
            )
        except Exception as exc:  # one unreadable message must not stop the others
            page.errors.append(f"UID {uid}: {type(exc).__name__}: {str(exc)[:200]}")
            log.warning("%s %s: %s", account.slug, where["mailbox"], page.errors[-1])
            return
        if reading.item is not None:
            page.items.append(reading.item)
        if reading.status is not None:
            page.statuses.append(reading.status)
        if reading.skipped:
            log.info("%s UID %s skipped: %s", account.slug, uid, reading.skipped)

    # -- replying ------------------------------------------------------------------------
    def reply_refusal(self, account, mention, now) -> str | None:
        if not self.setting(account, "smtp_url"):
            return _("E-mail replies need an SMTP server: set smtp_url on the channel account.")
        if not wire.valid_address(self.recipient(mention)):
            return _("The sender's address cannot receive a reply.")
        return None

    def recipient(self, mention) -> str:
        """Where a reply goes: the Reply-To the author asked for, else the author."""
        raw = mention.raw if isinstance(mention.raw, dict) else {}
        reply_to = str(raw.get("reply_to") or "")
        if wire.valid_address(reply_to):
            return reply_to
        return (mention.author_external_id or "").strip().lower()

    def compose(self, account, mention, text: str, key: str) -> EmailMessage:
        """The reply: plain UTF-8 text, threaded under the mention, on our own domain."""
        address = self.address(account)
        to = self.recipient(mention)
        if not wire.valid_address(address):
            raise Rejected(f"our address {address!r} is not a valid e-mail address")
        if not wire.valid_address(to):
            raise Rejected("the sender's address cannot receive a reply")
        domain = address.rpartition("@")[2]
        subject = wire.one_line(mention.title or "", 900)
        if not _REPLY_PREFIX_RE.match(subject):
            subject = f"Re: {subject}".rstrip()
        message = EmailMessage()
        try:
            message["From"] = Address(wire.one_line(account.name or "", 200), addr_spec=address)
            # The author's name only when writing to the author (not to a Reply-To).
            name = mention.author_display_name if to == mention.author_external_id else ""
            message["To"] = Address(wire.one_line(name or "", 200), addr_spec=to)
        except (ValueError, IndexError) as exc:
            raise Rejected(f"an address cannot be written in a header: {exc}") from None
        message["Subject"] = subject  # one line: CR and LF were replaced above
        message["Date"] = format_datetime(clock.now())
        tag = "panal" + re.sub(r"[^0-9A-Za-z]", "", key)[:40]
        message["Message-ID"] = make_msgid(idstring=tag, domain=domain)
        original = mention.external_id or ""
        raw = mention.raw if isinstance(mention.raw, dict) else {}
        if raw.get("message_id") and _plain_id(original):
            references = [r for r in raw.get("references") or [] if isinstance(r, str)]
            references = wire.trimmed([*references, original])
            message["In-Reply-To"] = f"<{original}>"
            message["References"] = " ".join(f"<{r}>" for r in references if _plain_id(r))
        message["Auto-Submitted"] = "no"
        # Quoted-printable: 7-bit clean for any relay, readable in the raw.
        message.set_content(text, charset="utf-8", cte="quoted-printable")
        return message

    def send_reply(self, account, http, mention, text: str, key: str) -> Sent:
        session = self._session(account, http)
        message = self.compose(account, mention, text, key)
        message_id = wire.id_key(message["Message-ID"])
        with smtp_errors():
            session.smtp().send_message(
                message, from_addr=self.address(account), to_addrs=[self.recipient(mention)]
            )
        return Sent(
            external_id=message_id,
            raw={"to": self.recipient(mention), "subject": str(message["Subject"])},
        )

    # -- health --------------------------------------------------------------------------
    def check(self, account, http) -> AccountCheck:
        session = self._session(account, http)
        with imap_errors():
            session.imap()
        if self.setting(account, "smtp_url"):
            session.smtp()
        address = self.address(account)
        return AccountCheck(handle=address, self_ids=(address,) if address else ())

    def _session(self, account, http) -> MailSession:
        return http if isinstance(http, MailSession) else MailSession(self, account)


def _is(answer, word: bytes) -> bool:
    return isinstance(answer, tuple) and len(answer) >= 2 and word in answer[:2]


def _plain_id(value: str) -> bool:
    """An id we can write back in References: printable ASCII, not one of our hashes."""
    return (
        bool(value)
        and value.isascii()
        and value.isprintable()
        and not value.startswith("sha256:")
        and not any(c in value for c in "<> ")
    )


connector = register(EmailConnector())


def _already_read(client: IMAPClient) -> bool:
    """Whether lines the server sent already sit in the client's read buffer.

    `idle_check` waits on the socket; an `* n EXISTS` that arrived in the same packet as
    IDLE's continuation was read into imaplib's buffer with it, so the socket stays quiet
    and the wait would last until IDLE is renewed. Peeking the buffer without blocking
    catches it (imaplib keeps its reader as `file`).
    """
    reader = getattr(getattr(client, "_imap", None), "file", None)
    if reader is None or not hasattr(reader, "peek"):
        return False
    sock = client.socket()
    sock.setblocking(False)
    try:
        return bool(reader.peek(1))
    except OSError:
        return False
    finally:
        sock.setblocking(True)
        client._set_read_timeout()
