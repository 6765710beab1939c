"""Fake mail servers on 127.0.0.1: a small IMAP4rev1 store with IDLE, and SMTP submission.

`FakeIMAP` speaks the part of RFC 3501 (plus RFC 2177 IDLE) that a client needs to
follow a mailbox: the greeting with its capabilities, CAPABILITY, LOGIN (a wrong
password gets `NO [AUTHENTICATIONFAILED]`), SELECT/EXAMINE (EXISTS, UIDVALIDITY,
UIDNEXT), SEARCH and UID SEARCH (ALL and UID sets, with the real `n:*` quirk: when n is
past the last UID, `n:*` still matches the last message), FETCH and UID FETCH (UID,
FLAGS, INTERNALDATE, RFC822.SIZE, RFC822, BODY[] and BODY.PEEK[] as literals), IDLE /
DONE (with `* n EXISTS` pushed the moment a message is added), NOOP and LOGOUT.
Controls: `add` a message, `rebuild` the mailbox under a new UIDVALIDITY,
`throttle_next` (the next command is answered `NO [THROTTLED]` with a backoff hint, as
busy providers do), `drop_connections`.

`FakeSMTP` speaks RFC 5321 submission: EHLO/HELO, AUTH PLAIN and LOGIN (RFC 4954),
MAIL FROM, RCPT TO, DATA (dot-unstuffed), RSET, NOOP, QUIT; it records every message
and can answer any stage with a given reply once (`fail_next(421, "4.7.0 ...")`).
Neither speaks TLS: tests use `imap://` and `smtp://` URLs.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_TOKEN_RE = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\()|(\))|([^\s()"]+)')
_LITERAL_RE = re.compile(rb"\{(\d+)(\+?)\}\r\n$")


def internal_date(when: datetime) -> str:
    """IMAP date-time: `17-Jul-1996 02:44:25 -0700` (English month names, any locale)."""
    when = when.astimezone(UTC)
    return f"{when.day:02d}-{_MONTHS[when.month - 1]}-{when:%Y %H:%M:%S} +0000"


def crlf(raw: bytes) -> bytes:
    """Line ends as a mail store keeps them (CRLF), whatever the file on disk used."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner, handler):
        self.owner = owner
        super().__init__(("127.0.0.1", 0), handler)


class _Fake:
    """Start/stop a threaded server on a free local port; track live connections."""

    handler: type[socketserver.StreamRequestHandler]
    scheme = ""

    def __init__(self):
        self.lock = threading.RLock()
        self.sessions: set = set()
        self.commands: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self):
        self._server = _Server(self, self.handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self.drop_connections()
            self._server = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def drop_connections(self) -> None:
        """Close every client connection at once, as a crashing server or a NAT would."""
        with self.lock:
            sessions = list(self.sessions)
        for session in sessions:
            with contextlib.suppress(OSError):
                session.request.shutdown(socket.SHUT_RDWR)
            session.request.close()


# -- IMAP ---------------------------------------------------------------------------------


@dataclass
class Stored:
    uid: int
    raw: bytes
    internaldate: datetime
    flags: list[str] = field(default_factory=list)


class FakeIMAP(_Fake):
    scheme = "imap"
    CAPABILITIES = "IMAP4rev1 IDLE UIDPLUS"

    def __init__(self, username: str, password: str, mailbox: str = "INBOX"):
        super().__init__()
        self.username, self.password, self.mailbox = username, password, mailbox
        self.uidvalidity = 1_700_000_001
        self.uidnext = 1
        self.messages: list[Stored] = []
        self.searches: list[str] = []  # the criteria of every SEARCH, as sent
        self.idling = threading.Event()  # set whenever a session enters IDLE
        self.capabilities = self.CAPABILITIES  # drop IDLE to play an older server
        self._throttle: int | None = None

    # controls
    def add(self, raw: bytes, internaldate: datetime | None = None) -> int:
        """Deliver a message to the mailbox; idling sessions hear `* n EXISTS` at once."""
        with self.lock:
            uid = self.uidnext
            self.uidnext += 1
            self.messages.append(Stored(uid, crlf(raw), internaldate or datetime.now(UTC)))
            count = len(self.messages)
            sessions = list(self.sessions)
        for session in sessions:
            session.notify(count)
        return uid

    def rebuild(self, uidvalidity: int) -> None:
        """The server rebuilt its index: same messages, new UIDs from 1, new UIDVALIDITY."""
        with self.lock:
            self.uidvalidity = uidvalidity
            for number, stored in enumerate(self.messages, start=1):
                stored.uid = number
            self.uidnext = len(self.messages) + 1

    def throttle_next(self, seconds: int) -> None:
        """The next command (other than CAPABILITY, NOOP, LOGOUT) gets `NO [THROTTLED]`."""
        self._throttle = seconds

    def take_throttle(self) -> int | None:
        with self.lock:
            seconds, self._throttle = self._throttle, None
            return seconds

    handler = None  # set below


class _IMAPSession(socketserver.StreamRequestHandler):
    server: _Server
    disable_nagle_algorithm = True  # many small answers: no 40 ms delayed-ACK stalls

    def setup(self):
        super().setup()
        self.fake: FakeIMAP = self.server.owner
        self.write_lock = threading.Lock()
        self.authenticated = False
        self.selected = False
        self.known = 0  # the EXISTS count this client was last told
        self.idle_tag: str | None = None
        with self.fake.lock:
            self.fake.sessions.add(self)

    def finish(self):
        with self.fake.lock:
            self.fake.sessions.discard(self)
        with contextlib.suppress(OSError):
            super().finish()

    def send(self, line: str | bytes) -> None:
        data = line if isinstance(line, bytes) else line.encode("utf-8")
        with self.write_lock:
            try:
                self.wfile.write(data if data.endswith(b"\r\n") else data + b"\r\n")
                self.wfile.flush()
            except OSError:
                pass

    def notify(self, count: int) -> None:
        if self.idle_tag is not None and self.selected and count != self.known:
            self.known = count
            self.send(f"* {count} EXISTS")

    def read_command(self) -> list | None:
        """One command as tokens; client literals (`{n}`) are read and become strings."""
        tokens: list = []
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return None
            literal = _LITERAL_RE.search(line)
            text = line[: literal.start()] if literal else line
            tokens.extend(_tokens(text))
            if not literal:
                return tokens
            if not literal.group(2):
                self.send("+ go ahead")
            tokens.append(("str", self.rfile.read(int(literal.group(1)))))

    def handle(self):
        self.send(f"* OK [CAPABILITY {self.fake.capabilities}] Fake IMAP4rev1 ready")
        while True:
            try:
                tokens = self.read_command()
            except OSError:
                return
            if tokens is None:
                return
            if self.idle_tag is not None:
                if tokens and _text(tokens[0]).upper() == "DONE":
                    tag, self.idle_tag = self.idle_tag, None
                    self.send(f"{tag} OK IDLE terminated")
                else:
                    self.send("* BAD expected DONE")
                continue
            if len(tokens) < 2:
                self.send("* BAD [CLIENTBUG] tag and command expected")
                continue
            tag, name, args = _text(tokens[0]), _text(tokens[1]).upper(), tokens[2:]
            uid = False
            if name == "UID" and args:
                uid, name, args = True, _text(args[0]).upper(), args[1:]
            with self.fake.lock:
                self.fake.commands.append(("UID " if uid else "") + name)
            if name not in ("CAPABILITY", "NOOP", "LOGOUT"):
                seconds = self.fake.take_throttle()
                if seconds is not None:
                    self.send(
                        f"{tag} NO [THROTTLED] Request is throttled. "
                        f"Suggested Backoff Time: {seconds * 1000} milliseconds"
                    )
                    continue
            if self.dispatch(tag, name, args, uid) == "bye":
                return

    def dispatch(self, tag: str, name: str, args: list, uid: bool):
        if name == "CAPABILITY":
            self.send(f"* CAPABILITY {self.fake.capabilities}")
            self.send(f"{tag} OK CAPABILITY completed")
        elif name == "NOOP":
            if self.selected:
                self.notify_now()
            self.send(f"{tag} OK NOOP completed")
        elif name == "LOGOUT":
            self.send("* BYE Fake IMAP server logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return "bye"
        elif name == "LOGIN":
            if len(args) != 2:
                self.send(f"{tag} BAD LOGIN takes a user name and a password")
            elif (_text(args[0]), _text(args[1])) == (self.fake.username, self.fake.password):
                self.authenticated = True
                self.send(f"{tag} OK [CAPABILITY {self.fake.capabilities}] Logged in")
            else:
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
        elif not self.authenticated:
            self.send(f"{tag} BAD [CLIENTBUG] Log in first")
        elif name in ("SELECT", "EXAMINE"):
            self.select(tag, name, args)
        elif not self.selected:
            self.send(f"{tag} BAD [CLIENTBUG] No mailbox selected")
        elif name == "SEARCH":
            self.search(tag, args, uid)
        elif name == "FETCH":
            self.fetch(tag, args, uid)
        elif name == "IDLE" and "IDLE" in self.fake.capabilities.split():
            self.idle_tag = tag
            self.send("+ idling")
            self.fake.idling.set()
            self.notify_now()
        else:
            self.send(f"{tag} BAD [CLIENTBUG] Unknown command {name}")
        return None

    def notify_now(self) -> None:
        with self.fake.lock:
            count = len(self.fake.messages)
        if count != self.known:
            self.known = count
            self.send(f"* {count} EXISTS")

    def select(self, tag: str, name: str, args: list) -> None:
        wanted = _text(args[0]) if args else ""
        if wanted.upper() != self.fake.mailbox.upper():
            self.selected = False
            self.send(f"{tag} NO [NONEXISTENT] Unknown mailbox {wanted[:40]}")
            return
        with self.fake.lock:
            count, validity, uidnext = (
                len(self.fake.messages),
                self.fake.uidvalidity,
                self.fake.uidnext,
            )
        self.selected, self.known = True, count
        self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
        self.send(f"* {count} EXISTS")
        self.send("* 0 RECENT")
        self.send(f"* OK [UIDVALIDITY {validity}] UIDs valid")
        self.send(f"* OK [UIDNEXT {uidnext}] Predicted next UID")
        mode = "READ-ONLY" if name == "EXAMINE" else "READ-WRITE"
        self.send(f"{tag} OK [{mode}] {name} completed")

    def search(self, tag: str, args: list, uid: bool) -> None:
        criteria = " ".join(_text(a) for a in args if a not in ("(", ")"))
        with self.fake.lock:
            self.fake.searches.append(criteria)
            messages = list(self.fake.messages)
        words = criteria.split()
        chosen = list(enumerate(messages, start=1))
        while words:
            word = words.pop(0).upper()
            if word == "ALL":
                continue
            if word == "UID" and words:
                wanted = _set(words.pop(0), messages[-1].uid if messages else 0)
                chosen = [(n, m) for n, m in chosen if m.uid in wanted]
            elif word == "CHARSET" and words:
                words.pop(0)
            else:
                self.send(f"{tag} BAD [CLIENTBUG] Unsupported search key {word}")
                return
        numbers = [str(m.uid if uid else n) for n, m in chosen]
        self.send("* SEARCH" + "".join(" " + n for n in numbers))
        self.send(f"{tag} OK SEARCH completed")

    def fetch(self, tag: str, args: list, uid: bool) -> None:
        if len(args) < 2:
            self.send(f"{tag} BAD FETCH takes a set and items")
            return
        with self.fake.lock:
            messages = list(self.fake.messages)
        last = (messages[-1].uid if uid else len(messages)) if messages else 0
        wanted = _set(_text(args[0]), last)
        items = [_text(a).upper() for a in args[1:] if a not in ("(", ")")]
        for number, stored in enumerate(messages, start=1):
            if (stored.uid if uid else number) not in wanted:
                continue
            parts: list[bytes] = [f"UID {stored.uid}".encode()]
            for item in items:
                if item == "UID":
                    continue
                if item == "FLAGS":
                    parts.append(f"FLAGS ({' '.join(stored.flags)})".encode())
                elif item == "INTERNALDATE":
                    parts.append(f'INTERNALDATE "{internal_date(stored.internaldate)}"'.encode())
                elif item == "RFC822.SIZE":
                    parts.append(f"RFC822.SIZE {len(stored.raw)}".encode())
                elif item in ("RFC822", "BODY[]", "BODY.PEEK[]"):
                    label = "RFC822" if item == "RFC822" else "BODY[]"
                    parts.append(f"{label} {{{len(stored.raw)}}}\r\n".encode() + stored.raw)
                    if item != "BODY.PEEK[]" and "\\Seen" not in stored.flags:
                        stored.flags.append("\\Seen")
                else:
                    self.send(f"{tag} BAD [CLIENTBUG] Unsupported fetch item {item}")
                    return
            self.send(f"* {number} FETCH (".encode() + b" ".join(parts) + b")")
        self.send(f"{tag} OK FETCH completed")


FakeIMAP.handler = _IMAPSession


def _tokens(text: bytes) -> list:
    found = []
    for quoted, opening, closing, atom in _TOKEN_RE.findall(text.strip()):
        if opening:
            found.append("(")
        elif closing:
            found.append(")")
        elif atom:
            found.append(("str", atom))
        else:
            found.append(("str", re.sub(rb"\\(.)", rb"\1", quoted)))
    return found


def _text(token) -> str:
    if isinstance(token, tuple):
        return token[1].decode("utf-8", "replace")
    return token


def _set(spec: str, last: int) -> set[int]:
    """An IMAP sequence set (`1,4:6,9:*`); `*` is the last number, ranges go either way."""
    numbers: set[int] = set()
    for piece in spec.split(","):
        low, _, high = piece.partition(":")
        a = last if low == "*" else int(low)
        b = a if not high else (last if high == "*" else int(high))
        numbers.update(range(min(a, b), max(a, b) + 1))
    return numbers


# -- SMTP ---------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.data)


class FakeSMTP(_Fake):
    scheme = "smtp"

    def __init__(
        self,
        username: str | None = None,
        password: str | None = None,
        auth_methods: tuple[str, ...] = ("PLAIN", "LOGIN"),
    ):
        super().__init__()
        self.username, self.password, self.auth_methods = username, password, auth_methods
        self.received: list[Received] = []
        self.logins: list[str] = []
        self._faults: dict[str, tuple[int, str]] = {}

    def fail_next(self, code: int, text: str, at: str = "MAIL") -> None:
        """Answer the next CONNECT / EHLO / AUTH / MAIL / RCPT / DATA (end) with `code text`."""
        with self.lock:
            self._faults[at.upper()] = (code, text)

    def take_fault(self, at: str) -> tuple[int, str] | None:
        with self.lock:
            return self._faults.pop(at, None)

    handler = None  # set below


class _SMTPSession(socketserver.StreamRequestHandler):
    server: _Server
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.fake: FakeSMTP = self.server.owner
        self.user: str | None = None
        self.reset()
        with self.fake.lock:
            self.fake.sessions.add(self)

    def finish(self):
        with self.fake.lock:
            self.fake.sessions.discard(self)
        with contextlib.suppress(OSError):
            super().finish()

    def reset(self) -> None:
        self.mail_from: str | None = None
        self.rcpt_to: list[str] = []

    def reply(self, code: int, *lines: str) -> None:
        out = [f"{code}-{line}" for line in lines[:-1]] + [f"{code} {lines[-1]}"]
        try:
            self.wfile.write(("\r\n".join(out) + "\r\n").encode("utf-8"))
            self.wfile.flush()
        except OSError:
            pass

    def fault(self, at: str) -> bool:
        found = self.fake.take_fault(at)
        if found:
            self.reply(*found)
        return bool(found)

    def readline(self) -> str | None:
        line = self.rfile.readline(65536)
        return line.decode("utf-8", "replace").rstrip("\r\n") if line else None

    def handle(self):
        if self.fault("CONNECT"):
            return
        self.reply(220, "fake.smtp.example ESMTP ready")
        while True:
            line = self.readline()
            if line is None:
                return
            verb, _, rest = line.partition(" ")
            verb = verb.upper()
            with self.fake.lock:
                self.fake.commands.append(verb)
            if verb in ("EHLO", "HELO"):
                if self.fault("EHLO"):
                    continue
                extensions = ["8BITMIME", "SMTPUTF8", "PIPELINING", "SIZE 35882577"]
                if self.fake.username:
                    extensions.append("AUTH " + " ".join(self.fake.auth_methods))
                if verb == "HELO":
                    self.reply(250, "fake.smtp.example")
                else:
                    self.reply(250, "fake.smtp.example at your service", *extensions)
            elif verb == "AUTH":
                self.auth(rest)
            elif verb == "MAIL":
                if self.fault("MAIL"):
                    self.reset()
                    continue
                if self.fake.username and self.user is None:
                    self.reply(530, "5.7.0 Authentication required")
                    continue
                self.reset()
                self.mail_from = _angle(rest)
                self.reply(250, "2.1.0 OK")
            elif verb == "RCPT":
                if self.mail_from is None:
                    self.reply(503, "5.5.1 MAIL first")
                elif not self.fault("RCPT"):
                    self.rcpt_to.append(_angle(rest))
                    self.reply(250, "2.1.5 OK")
            elif verb == "DATA":
                self.data()
            elif verb == "RSET":
                self.reset()
                self.reply(250, "2.0.0 OK")
            elif verb == "NOOP":
                self.reply(250, "2.0.0 OK")
            elif verb == "QUIT":
                self.reply(221, "2.0.0 Bye")
                return
            else:
                self.reply(502, "5.5.2 Command not recognised")

    def auth(self, rest: str) -> None:
        mechanism, _, initial = rest.partition(" ")
        mechanism = mechanism.upper()
        if self.fault("AUTH"):
            return
        if mechanism not in self.fake.auth_methods:
            self.reply(504, "5.5.4 Unrecognised authentication type")
            return
        try:
            if mechanism == "PLAIN":
                if not initial:
                    self.reply(334, "")
                    initial = self.readline() or ""
                _, user, password = base64.b64decode(initial).decode("utf-8").split("\x00")
            else:
                if not initial:
                    self.reply(334, base64.b64encode(b"Username:").decode())
                    initial = self.readline() or ""
                user = base64.b64decode(initial).decode("utf-8")
                self.reply(334, base64.b64encode(b"Password:").decode())
                password = base64.b64decode(self.readline() or "").decode("utf-8")
        except (ValueError, binascii.Error):
            self.reply(501, "5.5.2 Cannot decode the response")
            return
        if (user, password) != (self.fake.username, self.fake.password):
            self.reply(535, "5.7.8 Username and Password not accepted")
            return
        self.user = user
        with self.fake.lock:
            self.fake.logins.append(f"{mechanism}:{user}")
        self.reply(235, "2.7.0 Accepted")

    def data(self) -> None:
        if not self.rcpt_to:
            self.reply(503, "5.5.1 RCPT first")
            return
        self.reply(354, "Go ahead")
        lines: list[bytes] = []
        while True:
            line = self.rfile.readline(1 << 20)
            if not line or line in (b".\r\n", b".\n"):
                break
            lines.append(line[1:] if line.startswith(b"..") else line)
        if self.fault("DATA"):
            self.reset()
            return
        with self.fake.lock:
            self.fake.received.append(Received(self.mail_from or "", self.rcpt_to, b"".join(lines)))
        self.reset()
        self.reply(250, "2.0.0 OK queued")


FakeSMTP.handler = _SMTPSession


def _angle(rest: str) -> str:
    match = re.search(r"<([^>]*)>", rest)
    return match.group(1) if match else rest.partition(":")[2].strip()
