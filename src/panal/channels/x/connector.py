"""X (Twitter) API v2: webhooks in, recent search and mentions polled, filtered stream, replies.

- Push: Account Activity / v2 webhooks at `/hooks/x/<account>/` (CRC on GET, signed POST;
  `signature.py`), v1.1-shaped tweets, deletes and direct messages; filtered-stream
  webhooks (v2 `{"data", "includes", "matching_rules"}`) are read too.
- Poll: `GET /2/tweets/search/recent` per query in `search_queries` and
  `GET /2/users/:id/mentions`, each with its own `since_id` / `next_token` cursor.
- Stream: `GET /2/tweets/search/stream` after syncing `stream_rules` (tagged with the
  account) through `POST /2/tweets/search/stream/rules`.
- Reply: `POST /2/tweets` with `reply.in_reply_to_tweet_id` (a direct message through
  `POST /2/dm_conversations/with/:id/messages`), with the user's OAuth 2 token.
README.md here has the wire facts and the decisions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
from django.utils.translation import gettext as _

from panal.channels import http as channel_http
from panal.channels import wire as shared
from panal.channels.base import (
    AccountCheck,
    AuthFailed,
    BadPayload,
    Capability,
    Connector,
    Page,
    Parsed,
    PushRequest,
    Rejected,
    Sent,
    Setting,
    Unavailable,
    register,
)
from panal.channels.http import Http
from panal.listening.choices import Channel, Kind
from panal.listening.normalise import ItemError

from . import signature, wire

RULES = "2/tweets/search/stream/rules"
STREAM = "2/tweets/search/stream"
SEARCH = "2/tweets/search/recent"
# X sends a keep-alive every 20 s: a silent connection for longer is dead.
STREAM_STALL = 40.0
# In-band stream errors after which X wants us to reconnect.
DISCONNECTS = ("operational-disconnect", "OperationalDisconnect")


def body_error(response: httpx.Response, now):
    """X answers errors as problem JSON `{"title", "detail", "type", "status"}` (v2) or
    `{"errors": [{"message", "code"}]}` (v1.1); name them, and map credential trouble."""
    status = response.status_code
    if status < 400:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    errors = data.get("errors") if isinstance(data.get("errors"), list) else []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    title = str(data.get("title") or first.get("title") or "")
    detail = str(data.get("detail") or first.get("message") or first.get("detail") or "")
    kind = str(data.get("type") or first.get("type") or "")
    message = f"X: HTTP {status} " + ": ".join(p for p in (title, detail) if p)
    message = message[:300]
    if status == 401:
        return AuthFailed(message)
    if status == 403 and kind.endswith(("/client-forbidden", "/unsupported-authentication")):
        return AuthFailed(message)
    if 400 <= status < 500 and status != 429:
        return Rejected(message)
    return None


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class XConnector(Connector):
    kind = Channel.X
    label = "X (Twitter)"
    capabilities = frozenset(
        {Capability.PUSH, Capability.POLL, Capability.STREAM, Capability.REPLY}
    )
    reply_limit = wire.MAX_WEIGHTED
    poll_interval = 120.0
    rate_scheme = channel_http.X_API
    settings = (
        Setting("base_url", "X API server.", default="https://api.x.com", kind="url"),
        Setting(
            "bearer_token",
            "App-only bearer token (OAuth 2): recent search, mentions, filtered stream.",
            secret=True,
        ),
        Setting(
            "user_access_token",
            "OAuth 2 user-context access token (tweet.read tweet.write users.read; "
            "dm.write for direct messages), obtained outside Panal: replies and check.",
            secret=True,
        ),
        Setting(
            "consumer_secret",
            "The app's API key secret: answers X's webhook CRC and checks its signatures.",
            secret=True,
        ),
        Setting(
            "previous_consumer_secret",
            "The consumer secret before a rotation, accepted until X signs with the new one.",
            secret=True,
        ),
        Setting("user_id", "Our own X user id (numeric): mentions, and our posts are echoes."),
        Setting("search_queries", "Recent-search queries to poll.", default=[], kind="list"),
        Setting(
            "stream_rules",
            "Filtered-stream rules, synced with X before connecting.",
            default=[],
            kind="list",
        ),
        Setting(
            "stream",
            "Hold the filtered stream open instead of polling.",
            default=False,
            kind="bool",
        ),
        Setting("poll_interval", "Seconds between polls.", default=120.0, kind="float"),
    )

    # -- http --------------------------------------------------------------------------
    def make_http(self, account) -> Http:
        token = self.setting(account, "bearer_token") or self.setting(account, "user_access_token")
        return Http(
            self.setting(account, "base_url"),
            headers=_bearer(token) if token else {},
            rate=self.rate_scheme,
            body_error=body_error,
        )

    def _user_headers(self, account) -> dict[str, str]:
        token = self.setting(account, "user_access_token")
        if not token:
            raise AuthFailed("X: no user_access_token is configured (needed to post)")
        return _bearer(token)

    def _our_ids(self, account, *extra: str) -> set[str]:
        ids = {str(i) for i in account.self_ids or [] if i not in (None, "")}
        ids.add(str(self.setting(account, "user_id") or ""))
        ids.update(str(e) for e in extra)
        ids.discard("")
        return ids

    # -- push --------------------------------------------------------------------------
    def handshake(self, account, request: PushRequest):
        return signature.handshake(request, signature.secrets_of(account))

    def verify_request(self, account, request: PushRequest) -> str:
        return signature.verify(request, signature.secrets_of(account))

    def check_body(self, account, body: bytes) -> None:
        data = shared.json_body(body)
        if not isinstance(data, dict) or not ("for_user_id" in data or "data" in data):
            raise BadPayload(
                "an X delivery is a JSON object with for_user_id (Account Activity) "
                "or data (filtered-stream webhook)"
            )

    def parse_push(self, account, body: bytes) -> Parsed:
        data = shared.json_body(body)
        if not isinstance(data, dict):
            raise BadPayload("an X delivery is a JSON object")
        parsed = Parsed()
        for_user = str(data.get("for_user_id") or "")
        ours = self._our_ids(account, for_user)
        pairs = []
        for tweet in _list(data.get("tweet_create_events")):
            own = str(tweet.get("id_str") or "")
            author = str((tweet.get("user") or {}).get("id_str") or "")
            if author in ours or wire.is_stale(own, wire.v1_chain(tweet)):
                continue  # our own post or reply; or a version edited since
            try:
                pairs.append((wire.snowflake(own), wire.v1_tweet_item(tweet, for_user)))
            except ItemError as exc:
                parsed.errors.append(f"tweet {own[:30]}: {exc}")
        users = data.get("users") if isinstance(data.get("users"), dict) else {}
        for event in _list(data.get("direct_message_events")):
            if event.get("type") != "message_create":
                continue
            sender = str((event.get("message_create") or {}).get("sender_id") or "")
            if sender in ours:
                continue  # a message we sent (Panal's reply or the account owner's)
            try:
                pairs.append(
                    (wire.snowflake(event.get("id")), wire.dm_item(event, users, for_user))
                )
            except ItemError as exc:
                parsed.errors.append(f"direct message {str(event.get('id'))[:30]}: {exc}")
        if "data" in data:  # a filtered-stream webhook: API v2 objects
            pairs += wire.v2_items(
                data["data"],
                data.get("includes"),
                our_ids=ours,
                rules=_rule_tags(data.get("matching_rules")),
                errors=parsed.errors,
            )
        parsed.items = wire.in_order(pairs)
        for event in _list(data.get("tweet_delete_events")):
            if str((event.get("status") or {}).get("user_id") or "") in ours:
                continue  # our own post was deleted: it was never a mention
            try:
                parsed.items.append(wire.v1_delete_item(event))
            except ItemError as exc:
                parsed.errors.append(f"tweet delete: {exc}")
        return parsed

    # -- poll --------------------------------------------------------------------------
    def missing_settings(self, account) -> list[str]:
        """No single setting is required, but an account with no credential at all can
        neither receive (webhook secret, bearer token) nor answer (user token)."""
        missing = super().missing_settings(account)
        names = ("bearer_token", "user_access_token", "consumer_secret")
        if not any(self.setting(account, name) for name in names):
            missing.append("bearer_token, user_access_token or consumer_secret")
        return missing

    def missing_for_pull(self, account) -> list[str]:
        missing = super().missing_for_pull(account)
        if missing:
            return missing
        streams = self.setting(account, "stream") and self.setting(account, "stream_rules")
        if not self.sources(account) and not streams:
            missing.append("search_queries or user_id (or stream_rules)")
        elif not (
            self.setting(account, "bearer_token") or self.setting(account, "user_access_token")
        ):
            missing.append("bearer_token")
        return missing

    def sources(self, account) -> list[tuple[str, str, dict, str]]:
        """(cursor key, path, params, name of the page-token parameter) per source."""
        found = []
        for query in self.setting(account, "search_queries") or []:
            if str(query).strip():
                query = str(query).strip()
                found.append((f"search:{query}", SEARCH, {"query": query}, "next_token"))
        user_id = str(self.setting(account, "user_id") or "")
        if user_id:
            found.append(
                (f"mentions:{user_id}", f"2/users/{user_id}/mentions", {}, "pagination_token")
            )
        return found

    def poll(self, account, http: Http, cursor: dict) -> Page:
        """One page of every source. A source resumes from `since_id`; when X has more
        than one page after it, the next pages follow (`more`; meanwhile the other sources
        wait) and `since_id` moves to the first page's `newest_id` once the last is read.
        A first run reads one page."""
        page = Page()
        ours = self._our_ids(account)
        pairs = []
        new_cursor = {}
        sources = self.sources(account)
        states = {
            key: dict(cursor[key]) if isinstance(cursor.get(key), dict) else {}
            for key, *_rest in sources
        }
        paging = any(state.get("next_token") for state in states.values())
        for key, path, base_params, token_name in sources:
            state = states[key]
            if paging and not state.get("next_token"):
                new_cursor[key] = state  # read again once the pages of the others are done
                continue
            body = self._read(http, path, base_params, token_name, state)
            meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
            pairs += wire.v2_items(
                body.get("data") or [], body.get("includes"), our_ids=ours, errors=page.errors
            )
            since = state.get("since_id") or ""
            newest = state.get("newest") or meta.get("newest_id") or ""
            following = meta.get("next_token")
            if following and since:
                new_cursor[key] = {"since_id": since, "next_token": following, "newest": newest}
                page.more = True
            elif newest or since:
                new_cursor[key] = {"since_id": newest or since}
            else:
                new_cursor[key] = {}
        page.items = wire.in_order(pairs)
        page.cursor = new_cursor
        return page

    def _read(self, http: Http, path: str, params: dict, token_name: str, state: dict) -> dict:
        query = {**params, "max_results": 100, **wire.FIELDS}
        if state.get("since_id"):
            query["since_id"] = state["since_id"]
        if state.get("next_token"):
            query[token_name] = state["next_token"]
        response = http.get(path, params=query, ok=(400,))
        body = _json(response)
        if response.status_code == 400:
            # A since_id older than search's seven days is refused: start again from now.
            if state.get("since_id") and "since_id" in json.dumps(body.get("errors") or []):
                query.pop("since_id", None)
                query.pop(token_name, None)
                body = _json(http.get(path, params=query))
                state.clear()
            else:
                raise body_error(response, None) or Rejected(f"X: HTTP 400 {response.text[:200]}")
        return body

    # -- stream ------------------------------------------------------------------------
    def rule_tag(self, account) -> str:
        return f"panal:{account.slug}"

    def sync_rules(self, account, http: Http) -> dict[str, str]:
        """Make X's rules tagged with this account equal `stream_rules`; rule id -> value.

        Rules with other tags (other accounts, other tools on the same app) are left alone.
        """
        tag = self.rule_tag(account)
        wanted = []
        for value in self.setting(account, "stream_rules") or []:
            value = str(value).strip()
            if value and value not in wanted:
                wanted.append(value)
        current = _json(http.get(RULES)).get("data") or []
        ours = {
            str(r.get("id")): str(r.get("value"))
            for r in current
            if isinstance(r, dict) and r.get("tag") == tag
        }
        stale = [rule_id for rule_id, value in ours.items() if value not in wanted]
        if stale:
            http.post(RULES, json={"delete": {"ids": stale}})
            for rule_id in stale:
                ours.pop(rule_id)
        have = set(ours.values())
        missing = [{"value": v, "tag": tag} for v in wanted if v not in have]
        if missing:
            answer = _json(http.post(RULES, json={"add": missing}))
            for rule in answer.get("data") or []:
                if isinstance(rule, dict) and rule.get("id"):
                    ours[str(rule["id"])] = str(rule.get("value"))
            refused = [e for e in answer.get("errors") or [] if isinstance(e, dict)]
            if refused:
                reasons = "; ".join(
                    f"{e.get('value', '')!r}: {e.get('title', '')} {e.get('details') or ''}"
                    for e in refused
                )
                raise Rejected(f"X refused stream rules: {reasons}"[:500])
        return ours

    def stream(self, account, http: Http, cursor: dict, stop: threading.Event) -> Iterator[Page]:
        if not self.setting(account, "stream"):
            # `stream` is off (the default): poll at the account's interval instead.
            yield from self._poll_loop(account, http, cursor, stop)
            return
        rules = self.sync_rules(account, http)
        if not rules:
            yield from self._poll_loop(account, http, cursor, stop)
            return
        ours = self._our_ids(account)
        timeout = httpx.Timeout(20.0, read=STREAM_STALL)
        try:
            with http.client.stream("GET", STREAM, params=wire.FIELDS, timeout=timeout) as response:
                if response.status_code >= 400:
                    response.read()
                http.judge(response)
                for line in response.iter_lines():
                    if stop.is_set():
                        return
                    line = line.strip()
                    if not line:
                        continue  # a keep-alive
                    page = self.stream_page(line, rules, ours)
                    if page is None:
                        return  # X asked us to reconnect
                    yield page
        except httpx.HTTPError as exc:
            if stop.is_set():
                return
            raise Unavailable(f"X stream: {type(exc).__name__}: {exc}") from exc

    def stream_page(self, line: str, rules: dict[str, str], ours: set[str]) -> Page | None:
        """One line of the stream as a page; None for an in-band disconnect."""
        page = Page()
        try:
            message = json.loads(line)
        except ValueError:
            page.errors.append(f"X stream: not a JSON line: {line[:80]!r}")
            return page
        if not isinstance(message, dict):
            page.errors.append("X stream: a line is not a JSON object")
            return page
        if "data" not in message and message.get("errors"):
            errors = [e for e in message["errors"] if isinstance(e, dict)]
            names = " ".join(f"{e.get('title', '')} {e.get('disconnect_type', '')}" for e in errors)
            if any(d in names for d in DISCONNECTS):
                return None
            detail = "; ".join(str(e.get("detail") or e.get("title") or "") for e in errors)
            raise Unavailable(f"X stream error: {detail[:300]}")
        matched = [
            r for r in message.get("matching_rules") or [] if isinstance(r, dict) and r.get("id")
        ]
        mine = [r for r in matched if str(r["id"]) in rules]
        if matched and not mine:
            return page  # matched only rules of another account on the same app
        tags = [rules[str(r["id"])] for r in mine]
        page.items = wire.in_order(
            wire.v2_items(
                message.get("data"),
                message.get("includes"),
                our_ids=ours,
                rules=tags,
                errors=page.errors,
            )
        )
        return page

    def _poll_loop(self, account, http: Http, cursor: dict, stop: threading.Event):
        interval = float(self.setting(account, "poll_interval") or self.poll_interval)
        while not stop.is_set():
            page = self.poll(account, http, cursor)
            cursor = page.cursor
            yield page
            if not page.more:
                stop.wait(interval)

    # -- replies -----------------------------------------------------------------------
    def reply_length(self, text: str) -> int:
        return wire.weighted_length(text)

    def reply_refusal(self, account, mention, now) -> str | None:
        if not self.setting(account, "user_access_token"):
            return _("Replies on X need a user access token: set user_access_token on the channel.")
        if mention.kind != Kind.DIRECT_MESSAGE and not wire.snowflake(mention.external_id):
            return _("This X post has no id that X can reply to.")
        return None

    def send_reply(self, account, http: Http, mention, text: str, key: str) -> Sent:
        headers = self._user_headers(account)
        if mention.kind == Kind.DIRECT_MESSAGE:
            participant = mention.author_external_id
            if not wire.snowflake(participant):
                raise Rejected("X: the direct message has no sender id to answer")
            answer = _json(
                http.post(
                    f"2/dm_conversations/with/{participant}/messages",
                    json={"text": text},
                    headers=headers,
                )
            )
            data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
            if not data.get("dm_event_id"):
                raise Rejected(f"X: no dm_event_id in the answer: {str(answer)[:200]}")
            return Sent(f"dm:{data['dm_event_id']}", "", data)
        payload = {"text": text, "reply": {"in_reply_to_tweet_id": mention.external_id}}
        answer = _json(http.post("2/tweets", json=payload, headers=headers))
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        tweet_id = str(data.get("id") or "")
        if not tweet_id:
            raise Rejected(f"X: no post id in the answer: {str(answer)[:200]}")
        return Sent(tweet_id, wire.permalink(account.handle.lstrip("@"), tweet_id), data)

    # -- health ------------------------------------------------------------------------
    def check(self, account, http: Http) -> AccountCheck:
        """`GET /2/users/me` with the user token: who we are. The bearer token, when set,
        is tried on our user's public profile."""
        handle, ids = "", []
        if self.setting(account, "user_access_token"):
            me = _json(http.get("2/users/me", headers=self._user_headers(account))).get("data")
            me = me if isinstance(me, dict) else {}
            handle, ids = str(me.get("username") or ""), [str(me.get("id") or "")]
        user_id = str(self.setting(account, "user_id") or "") or (ids[0] if ids else "")
        if self.setting(account, "bearer_token") and user_id:
            found = _json(http.get(f"2/users/{user_id}")).get("data")
            if isinstance(found, dict) and not handle:
                handle, ids = str(found.get("username") or ""), [user_id]
        return AccountCheck(handle=handle, self_ids=tuple(i for i in ids if i))


def _json(response: httpx.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise Unavailable(f"X: the answer is not JSON: {response.text[:120]!r}") from None
    return data if isinstance(data, dict) else {}


def _list(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _rule_tags(rules) -> list[str]:
    return [str(r.get("tag") or r.get("id")) for r in _list(rules)]


connector = register(XConnector())
