"""`panal listen`: one thread per pulling or streaming account, plus the housekeeping.

Each account thread loops: wait out a rate-limit pause, then either hold the
connector's stream open or poll it, store every page with its cursor in one
transaction (`intake.accept`), and record the account's health. Failures back off
(1 s doubling to 5 min); a rejected token stops the account until it is fixed. A
housekeeping thread drains pushed deliveries, sends replies that are due and checks
tokens. SIGTERM or SIGINT sets one stop event; streams notice it between events and
the clients are closed so blocking reads end too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from django.db import close_old_connections, connection

from panal.core import clock

from . import deliveries, health, intake, replies
from .base import AuthFailed, Capability, ChannelError, Connector, Unavailable, connector_for
from .models import ChannelAccount, Health

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0


def pulling_accounts(
    slugs: Iterable[str] = (), kinds: Iterable[str] = (), *, skipped: list | None = None
) -> list[ChannelAccount]:
    """Active, configured accounts whose connector polls or streams, optionally only some.

    Accounts that lack a required setting are left out (and listed in `skipped` as
    `(account, missing names)`): there is nothing to call until they are configured.
    """
    accounts = ChannelAccount.objects.filter(is_active=True).order_by("slug")
    slugs, kinds = list(slugs), list(kinds)
    if slugs:
        accounts = accounts.filter(slug__in=slugs)
    if kinds:
        accounts = accounts.filter(kind__in=kinds)
    chosen = []
    for account in accounts:
        connector = connector_for(account.kind)
        if connector and connector.capabilities & {Capability.POLL, Capability.STREAM}:
            missing = connector.missing_for_pull(account)
            if missing:
                if skipped is not None:
                    skipped.append((account, missing))
                continue
            chosen.append(account)
    return chosen


def uses_stream(connector: Connector, account: ChannelAccount) -> bool:
    if Capability.STREAM not in connector.capabilities:
        return False
    if Capability.POLL not in connector.capabilities:
        return True
    if any(spec.name == "stream" for spec in connector.settings):
        return bool(connector.setting(account, "stream"))
    return bool(account.settings.get("stream", True))


def poll_once(account: ChannelAccount, *, connector: Connector | None = None) -> int:
    """One poll of one account, pages until the network says there is no more.

    Returns the number of items stored or changed; raises `ChannelError` after
    recording it on the account's health.
    """
    connector = connector or connector_for(account.kind)
    http = connector.make_http(account)
    total = 0
    try:
        for _ in range(100):  # pages per poll, so one account cannot starve the others
            page = connector.poll(account, http, intake.load_cursor(account))
            result = intake.accept(account, page, cursor=page.cursor)
            total += result.created + result.edited + result.deleted
            _report(account, page)
            if page.problem is not None:
                raise page.problem
            if not page.more:
                break
    except ChannelError as exc:
        health.record_failure(account, exc)
        raise
    finally:
        http.close()
    return total


def _report(account: ChannelAccount, page) -> None:
    """Log what could not be read and record the account's health for one page."""
    if page.errors:
        log.warning("%s: %s", account.slug, "; ".join(page.errors[:20]))
    if page.problem is None:
        health.record_success(account, polled=True)


class AccountRunner(threading.Thread):
    """Keeps one account's stream or polling going until `stop` is set."""

    def __init__(self, account_id: int, stop: threading.Event):
        super().__init__(name=f"listen-{account_id}", daemon=True)
        self.account_id = account_id
        self.stop = stop
        self.http = None
        self.backoff = 1.0
        self.rejected_at = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                close_old_connections()
                account = ChannelAccount.objects.filter(pk=self.account_id, is_active=True).first()
                if account is None or (
                    self.rejected_at is not None
                    and account.health == Health.DISCONNECTED
                    and account.health_changed_at == self.rejected_at
                ):
                    # Gone, or its token was rejected: nothing to do until someone fixes it
                    # (saving the account or `panal channels check` changes its health).
                    self.stop.wait(30)
                    continue
                self.rejected_at = None
                now = clock.now()
                if account.paused_until and account.paused_until > now:
                    self.stop.wait(min((account.paused_until - now).total_seconds(), 60))
                    continue
                wait = self.step(account)
                self.stop.wait(wait)
        finally:
            connection.close()

    def step(self, account: ChannelAccount) -> float:
        """One round; returns how long to wait before the next."""
        connector = connector_for(account.kind)
        try:
            if uses_stream(connector, account):
                self.follow(connector, account)
                wait = 1.0  # the stream ended cleanly: reconnect soon
            else:
                poll_once(account, connector=connector)
                wait = float(account.settings.get("poll_interval") or connector.poll_interval)
            self.backoff = 1.0
            return wait
        except AuthFailed:
            account.refresh_from_db(fields=["health", "health_changed_at"])
            self.rejected_at = account.health_changed_at
            return 1.0
        except ChannelError as exc:
            if not exc.retry:
                # Refused for good (a feed that is not XML, a gone resource): asking again
                # sooner than the usual interval will not change the answer.
                interval = float(account.settings.get("poll_interval") or connector.poll_interval)
                log.info("%s: %s; next try in %.0f s", account.slug, exc, interval)
                return max(interval, self.backoff)
            log.info("%s: %s; next try in %.0f s", account.slug, exc, self.backoff)
        except Exception as exc:  # a bug in one connector must not stop the others
            log.exception("%s failed", account.slug)
            health.record_failure(account, Unavailable(f"{type(exc).__name__}: {exc}"))
        wait, self.backoff = self.backoff, min(self.backoff * 2, MAX_BACKOFF)
        return wait

    def follow(self, connector: Connector, account: ChannelAccount) -> None:
        self.http = connector.make_http(account)
        try:
            pages = connector.stream(account, self.http, intake.load_cursor(account), self.stop)
            for page in pages:
                intake.accept(account, page, cursor=page.cursor or None)
                _report(account, page)
                if page.problem is not None:
                    health.record_failure(account, page.problem)
                self.backoff = 1.0
                if self.stop.is_set():
                    break
        except ChannelError as exc:
            health.record_failure(account, exc)
            raise
        finally:
            self.http.close()
            self.http = None

    def interrupt(self) -> None:
        http = self.http
        if http is not None:
            try:
                http.close()  # ends a blocking read of the stream
            except Exception:
                log.debug("Closing %s's client failed", self.name, exc_info=True)


class Housekeeper(threading.Thread):
    """Drains pushed deliveries, sends due replies, checks tokens — every `interval` s —
    and checks the cases' SLA clocks and prunes stale presence every minute."""

    def __init__(self, stop: threading.Event, interval: float = 1.0):
        super().__init__(name="listen-housekeeping", daemon=True)
        self.stop = stop
        self.interval = interval
        self.last_token_check = 0.0
        self.last_case_check = 0.0

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                close_old_connections()
                try:
                    self.round()
                except Exception:
                    log.exception("Housekeeping failed")
                self.stop.wait(self.interval)
        finally:
            connection.close()

    def round(self) -> None:
        deliveries.drain_all()
        replies.send_due()
        if time.monotonic() - self.last_token_check > 3600:
            self.last_token_check = time.monotonic()
            health.check_tokens()
        if time.monotonic() - self.last_case_check > 60:
            from panal.engagement import presence, sla

            self.last_case_check = time.monotonic()
            sla.tick()
            presence.prune()


def listen(
    stop: threading.Event,
    *,
    slugs: Iterable[str] = (),
    kinds: Iterable[str] = (),
    housekeeping: bool = True,
    rescan: float = 60.0,
) -> None:
    """Run until `stop` is set; accounts added or re-activated are picked up every `rescan` s."""
    runners: dict[int, AccountRunner] = {}
    keeper = Housekeeper(stop) if housekeeping else None
    if keeper:
        keeper.start()
    try:
        while not stop.is_set():
            close_old_connections()
            for account in pulling_accounts(slugs, kinds):
                runner = runners.get(account.pk)
                if runner is None or not runner.is_alive():
                    runner = AccountRunner(account.pk, stop)
                    runners[account.pk] = runner
                    runner.start()
            stop.wait(rescan)
    finally:
        stop.set()
        for runner in runners.values():
            runner.interrupt()
        for runner in runners.values():
            runner.join(timeout=15)
        if keeper:
            keeper.join(timeout=15)
        connection.close()
