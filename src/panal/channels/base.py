"""The connector interface every network implements, and the registry that finds it.

A connector is the only code that knows a network's wire format. It is stateless: the
account (settings, credentials, our own ids) and, for pulling channels, the stored
cursor are passed in; what it returns is normalised `Item`s (listening.normalise) plus
the delivery statuses of our own outgoing messages. Everything else — storing,
idempotency, cursors, echo suppression, rate-limit pauses, health, retries — is done
once for all networks by `channels.intake`, `channels.deliveries`, `channels.runner`
and `channels.replies` (docs/channels.md, "Writing a connector").

Built-in connectors register here exactly as a plugin would (`panal.connectors`
entry points), one folder per network under `panal/channels/`.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar

from panal.listening.normalise import Item

if TYPE_CHECKING:
    from .http import Http
    from .models import ChannelAccount

log = logging.getLogger(__name__)


# --- refusals of pushed deliveries (HTTP answers) -------------------------------------


class Refused(Exception):
    """A delivery we will not take; `status` is the HTTP answer and the message says why."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None, details: list | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status
        self.details = details or []

    def as_dict(self) -> dict:
        body: dict = {"error": str(self)}
        if self.details:
            body["errors"] = self.details
        return body


class MissingHeader(Refused):
    """A required header is absent: 400 (or 401 when the header is the credential)."""

    status = 400


class BadSignature(Refused):
    """Forged, tampered or replayed: 401. Logged, never stored."""

    status = 401


class Forbidden(Refused):
    """Well-formed but not for this account (wrong verify token, other page): 403."""

    status = 403


class BadPayload(Refused):
    """Signed correctly but not readable (JSON, XML, MIME): 400, kept for inspection."""

    status = 400


class BadItems(Refused):
    status = 422


# --- errors of calls to a network ------------------------------------------------------


class ChannelError(Exception):
    """A call to the network failed; subclasses say whether and when to try again."""

    retry = True


class RateLimited(ChannelError):
    """The network asked us to wait until `retry_at` (its headers or its error body)."""

    def __init__(self, message: str, retry_at: datetime):
        super().__init__(message)
        self.retry_at = retry_at


class Unavailable(ChannelError):
    """Temporary: a 5xx, a timeout, a dropped connection. Try again with backoff."""


class AuthFailed(ChannelError):
    """The network rejected our credentials (expired or revoked token): the account is
    disconnected until an administrator fixes it."""

    retry = False


class Rejected(ChannelError):
    """The network refused this request for good (bad target, text too long, deleted)."""

    retry = False


class WindowClosed(Rejected):
    """A messaging window (WhatsApp / Messenger 24 h) is closed for free-form text."""


# --- what connectors return ----------------------------------------------------------


class Capability(enum.StrEnum):
    PUSH = "push"  # the network posts to /hooks/<kind>/<account>/
    POLL = "poll"  # we ask the network for what is new
    STREAM = "stream"  # we hold a connection open and the network sends
    REPLY = "reply"  # we can answer a mention through the channel


@dataclass(frozen=True)
class Setting:
    """One key of a channel account's configuration (`panal channels add --set key=value`)."""

    name: str
    help: str
    required: bool = False
    secret: bool = False  # stored in `credentials`, never shown back
    default: Any = None
    kind: str = "str"  # str | url | int | float | bool | list


@dataclass(frozen=True)
class PushRequest:
    """An incoming HTTP request exactly as it arrived: raw bytes, case-free headers."""

    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes
    now: datetime


@dataclass(frozen=True)
class Handshake:
    """The answer to a network's verification GET (Meta hub.challenge, X CRC)."""

    status: int
    body: bytes
    content_type: str = "text/plain"


@dataclass(frozen=True)
class StatusUpdate:
    """News about one of our own outgoing messages (WhatsApp sent/delivered/read/failed)."""

    external_id: str
    state: str  # sent | delivered | read | failed
    at: datetime | None = None
    error: str = ""


@dataclass
class Parsed:
    """What one delivery or page holds: items, statuses, and the entries we could not read.

    `errors` never stops the rest: one bad entry in a batch is reported and skipped.
    """

    items: list[Item] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # What the delivery holds for other accounts of the same organisation (Meta posts
    # every page of an app to one callback URL): account id -> its part.
    elsewhere: dict[int, Parsed] = field(default_factory=dict)


@dataclass
class Page(Parsed):
    """One poll or stream step: what came, and the cursor to store with it (same transaction).

    `more` asks the runner to poll again at once (there are further pages now).
    """

    cursor: dict = field(default_factory=dict)
    more: bool = False
    # A failure that did not stop the page (one of several feeds refused): stored pages
    # are kept and the account's health records it.
    problem: ChannelError | None = None


@dataclass(frozen=True)
class Sent:
    """A reply the network accepted: its id there, a link when there is one, its answer."""

    external_id: str
    url: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AccountCheck:
    """What a connection test learns: who we are there and how long the token lasts."""

    handle: str = ""
    self_ids: tuple[str, ...] = ()
    token_expires_at: datetime | None = None


class Connector:
    """Base class of every channel connector; override what the capabilities promise.

    Methods are synchronous and thread-safe: `panal listen` runs one thread per account.
    `http` arguments are `channels.http.Http` clients already pointed at the account's
    base URL, with its credentials, honouring rate-limit headers.
    """

    kind: ClassVar[str]
    label: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    settings: ClassVar[tuple[Setting, ...]] = ()
    # Longest reply the network takes, in its own unit (see `reply_length`).
    reply_limit: ClassVar[int | None] = None
    # How often the runner polls when nothing is pending, in seconds.
    poll_interval: ClassVar[float] = 60.0
    # Answer pushes only after they are stored and processed (our signed webhook, which
    # returns the mention ids); otherwise store the raw delivery, answer 200 at once and
    # parse in the background.
    synchronous_push: ClassVar[bool] = False

    # -- push ------------------------------------------------------------------------
    def handshake(self, account: ChannelAccount, request: PushRequest) -> Handshake | None:
        """Answer a verification GET, or None when the network sends none."""
        return None

    def new_hook_secret(self) -> str | None:
        """A fresh secret for `account.secrets`, when the network checks one we choose."""
        return None

    def verify_request(self, account: ChannelAccount, request: PushRequest) -> str:
        """Check the signature or token on the raw bytes; return a delivery id.

        Raises `Refused` (401/403) before anything is parsed. The delivery id makes a
        redelivery store nothing: the network's own id when it sends one, else a hash
        of the body.
        """
        raise NotImplementedError

    def check_body(self, account: ChannelAccount, body: bytes) -> None:
        """Cheap structural check at intake (JSON parses, right shape) or `BadPayload`."""

    def parse_push(self, account: ChannelAccount, body: bytes) -> Parsed:
        """The delivery's items and statuses. Pure, no I/O; bad entries go to `errors`."""
        raise NotImplementedError

    # -- pull ------------------------------------------------------------------------
    def poll(self, account: ChannelAccount, http: Http, cursor: dict) -> Page:
        """Ask the network for what came after `cursor` (empty on the first run)."""
        raise NotImplementedError

    def stream(
        self, account: ChannelAccount, http: Http, cursor: dict, stop: threading.Event
    ) -> Iterator[Page]:
        """Hold a connection and yield pages as events arrive, until `stop` is set.

        Return (or raise `Unavailable`) when the connection drops; the runner reconnects
        from the last stored cursor with backoff.
        """
        raise NotImplementedError

    # -- replies -----------------------------------------------------------------------
    def reply_refusal(self, account: ChannelAccount, mention, now: datetime) -> str | None:
        """Why a reply to `mention` cannot be delivered now (closed window…), or None."""
        return None

    def reply_length(self, text: str) -> int:
        """The text's length as the network counts it (graphemes, weighted characters…)."""
        return len(text)

    def reply_limit_for(self, mention) -> int | None:
        """The limit for a reply to this mention (a direct message may differ from a comment)."""
        return self.reply_limit

    def reply_length_for(self, mention, text: str) -> int:
        return self.reply_length(text)

    def send_reply(self, account: ChannelAccount, http: Http, mention, text: str, key: str) -> Sent:
        """Post `text` as a reply to `mention`; `key` is our idempotency key for it."""
        raise NotImplementedError

    # -- health --------------------------------------------------------------------------
    def check(self, account: ChannelAccount, http: Http) -> AccountCheck:
        """Test the credentials against the network (`panal channels check`)."""
        return AccountCheck()

    # -- http ---------------------------------------------------------------------------
    def make_http(self, account: ChannelAccount) -> Http:
        """A client for the account: its base URL, its credentials, the network's limits."""
        from .http import Http

        base = self.setting(account, "base_url") if self.base_url_setting() else ""
        return Http(base or "", headers=self.auth_headers(account), rate=self.rate_scheme)

    rate_scheme: ClassVar[Any] = None  # a channels.http.RateScheme

    def auth_headers(self, account: ChannelAccount) -> dict[str, str]:
        return {}

    # -- helpers -----------------------------------------------------------------------
    def setting(self, account: ChannelAccount, name: str) -> Any:
        """The account's value for `name`, from settings or credentials, or the default."""
        for spec in self.settings:
            if spec.name == name:
                store = account.credentials if spec.secret else account.settings
                value = (store or {}).get(name)
                return spec.default if value in (None, "") else value
        raise KeyError(f"{self.kind} has no setting {name!r}")

    def sibling(self, account: ChannelAccount, setting: str, value: str) -> ChannelAccount | None:
        """The organisation's other active account of this kind whose `setting` is `value`.

        For networks that send several accounts' events to one URL; read while draining.
        """
        from .models import ChannelAccount

        if not value:
            return None
        return (
            ChannelAccount.objects.filter(
                kind=self.kind, organisation_id=account.organisation_id, is_active=True
            )
            .exclude(pk=account.pk)
            .filter(**{f"settings__{setting}": value})
            .first()
        )

    def missing_settings(self, account: ChannelAccount) -> list[str]:
        """What the account lacks before `panal listen` can pull from it (names to show)."""
        return [
            spec.name
            for spec in self.settings
            if spec.required and self.setting(account, spec.name) in (None, "", [])
        ]

    def missing_for_pull(self, account: ChannelAccount) -> list[str]:
        """What `panal listen` needs besides the required settings (sources, tokens)."""
        return self.missing_settings(account)

    @classmethod
    def base_url_setting(cls) -> Setting | None:
        return next((s for s in cls.settings if s.name == "base_url"), None)


_CONNECTORS: dict[str, Connector] = {}


def register(connector: Connector) -> Connector:
    """Make `connector` the one for `connector.kind` (its hooks, polls and replies)."""
    _CONNECTORS[connector.kind] = connector
    return connector


# The first connector predates the general interface; both names register.
register_push = register


def connector_for(kind: str) -> Connector | None:
    return _CONNECTORS.get(kind)


def push_connector(kind: str) -> Connector | None:
    connector = _CONNECTORS.get(kind)
    if connector is None or Capability.PUSH not in connector.capabilities:
        return None
    return connector


def all_connectors() -> dict[str, Connector]:
    return dict(sorted(_CONNECTORS.items()))


def load_plugin_connectors() -> None:
    """Import the modules named in the `panal.connectors` entry-point group (they register)."""
    for ep in entry_points(group="panal.connectors"):
        try:
            ep.load()
        except Exception:
            log.exception("Could not load connector plugin %s", ep.name)
