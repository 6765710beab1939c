"""A fake Meta Graph API (Facebook Pages, Messenger, Instagram) and a webhook sender.

`FakeGraph` answers what the Facebook and Instagram connectors call:
- `GET /vX.Y/me?fields=…` and `GET /vX.Y/<id>?fields=…` (the Page or the IG account);
- `POST /<comment-or-post-id>/comments` (Facebook), `POST /<ig-comment-id>/replies` and
  `POST /<ig-user-id>/mentions` (Instagram): `{"id": <new comment id>}`;
- `POST /<page-id>/messages` and `/me/messages`: `{"recipient_id", "message_id"}`, with
  Meta's window rule enforced: `RESPONSE` within 24 h of the person's last message,
  `MESSAGE_TAG` + `HUMAN_AGENT` within 7 days, else error code 10 / subcode 2018278;
- the token (`Authorization: Bearer` or `access_token`) and `appsecret_proof`, refused
  with Meta's errors (190 OAuthException, 100 for a bad proof);
- throttling as Meta does it: error code 4 / 17 / 32 / 613 with `X-Business-Use-Case-Usage`
  saying `estimated_time_to_regain_access` in minutes (`throttle_next`).

It knows only the objects the sender told it about (`observe`): a reply to an unknown
comment is refused as Graph refuses it.

`MetaSender` builds webhook deliveries byte for byte the way Meta does: compact JSON with
every non-ASCII character escaped as `\\uXXXX` (lowercase hex, surrogate pairs for emoji)
and `/` escaped as `\\/`, signed with `X-Hub-Signature-256` (HMAC-SHA256 of exactly those
bytes) and the legacy `X-Hub-Signature` (SHA-1).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable

from .server import FakeServer, Request, Response

API = r"/v\d+\.\d+"
DAY = 86400.0


def meta_error(
    message: str, code: int, *, subcode: int | None = None, kind: str = "OAuthException"
) -> dict:
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": secrets.token_hex(6)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


class FakeGraph(FakeServer):
    """One Page (and optionally its Instagram account) as the Graph API serves them."""

    def __init__(
        self,
        *,
        token: str,
        app_secret: str,
        page_id: str,
        page_name: str = "Acme Móvil",
        ig_user_id: str = "",
        ig_username: str = "",
        mode: str = "facebook",  # facebook | instagram: what /me is
        now: Callable[[], float] = time.time,
    ):
        super().__init__()
        self.token, self.app_secret = token, app_secret
        self.page_id, self.page_name = page_id, page_name
        self.ig_user_id, self.ig_username = ig_user_id, ig_username
        self.mode = mode
        self.now = now
        self.require_proof = False
        self.sent: list[dict] = []
        self.posts: set[str] = set()
        self.comments: dict[str, str] = {}  # Facebook comment id -> post id
        self.ig_comments: dict[str, str] = {}  # Instagram comment id -> media id
        self.last_inbound: dict[str, float] = {}  # person's id -> epoch seconds
        self.numbers = itertools.count(880000000000001)
        self.route("GET", API + r"/me")(self.get_me)
        self.route("POST", API + r"/(?P<node>me|[0-9]+)/messages")(self.send_message)
        self.route("POST", API + r"/(?P<node>[0-9_]+)/comments")(self.comment)
        self.route("POST", API + r"/(?P<node>[0-9]+)/replies")(self.ig_reply)
        self.route("POST", API + r"/(?P<node>[0-9]+)/mentions")(self.ig_mention_reply)
        self.route("GET", API + r"/(?P<node>[0-9_]+)")(self.get_node)

    def stop(self) -> None:
        """Stop without waiting for `serve_forever`'s half-second poll (it ends on its own)."""
        self.closing.set()
        server = self._server
        if server is not None:

            def close() -> None:
                server.shutdown()
                server.server_close()

            threading.Thread(target=close, daemon=True).start()

    # -- what the network knows -------------------------------------------------------
    def observe(self, payload: dict) -> None:
        """Remember the posts, comments and messages a delivery carries (Meta made them)."""
        for entry in payload.get("entry") or []:
            if not isinstance(entry, dict):
                continue
            for change in entry.get("changes") or []:
                if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                    continue
                value = change["value"]
                if change.get("field") in ("feed", "mention"):
                    if isinstance(value.get("post_id"), str):
                        self.posts.add(value["post_id"])
                        if isinstance(value.get("comment_id"), str):
                            self.comments[value["comment_id"]] = value["post_id"]
                elif change.get("field") in ("comments", "live_comments", "mentions"):
                    media = (value.get("media") or {}).get("id") or value.get("media_id")
                    comment = value.get("id") or value.get("comment_id")
                    if isinstance(comment, str) and media:
                        self.ig_comments[comment] = str(media)
            for event in entry.get("messaging") or []:
                message = event.get("message") if isinstance(event, dict) else None
                stamp = event.get("timestamp") if isinstance(event, dict) else None
                if isinstance(message, dict) and not message.get("is_echo"):
                    if not isinstance(stamp, int | float):
                        continue  # a broken test event: Meta would not have sent it
                    person = str((event.get("sender") or {}).get("id"))
                    when = float(stamp) / 1000
                    self.last_inbound[person] = max(self.last_inbound.get(person, 0), when)

    # -- auth -----------------------------------------------------------------------
    def _auth(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        given = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        given = given or request.arg("access_token")
        if given != self.token:
            return Response.json(
                meta_error(
                    "Error validating access token: The session has been invalidated because "
                    "the user changed their password or Facebook has changed the session for "
                    "security reasons.",
                    190,
                    subcode=460,
                ),
                400,
            )
        proof = request.arg("appsecret_proof")
        expected = hmac.new(self.app_secret.encode(), self.token.encode(), hashlib.sha256)
        if proof is not None and not hmac.compare_digest(proof, expected.hexdigest()):
            return Response.json(
                meta_error("Invalid appsecret_proof provided in the API argument", 100), 400
            )
        if proof is None and self.require_proof:
            return Response.json(
                meta_error("API calls from the server require an appsecret_proof argument", 100),
                400,
            )
        return None

    def _usage(self) -> dict[str, str]:
        return {"X-App-Usage": json.dumps({"call_count": 1, "total_cputime": 1, "total_time": 1})}

    def _ok(self, data: dict) -> Response:
        return Response.json(data, headers=self._usage())

    @staticmethod
    def _params(request: Request) -> dict:
        """Graph takes JSON or form bodies (form values holding JSON for objects)."""
        if request.headers.get("content-type", "").startswith("application/json"):
            data = request.json()
            return data if isinstance(data, dict) else {}
        data = request.form()
        for key in ("recipient", "message"):
            if key in data:
                data[key] = json.loads(data[key])
        return data

    # -- reading --------------------------------------------------------------------
    def _fields(self, request: Request, obj: dict) -> dict:
        fields = (request.arg("fields") or "id").split(",")
        return {k: v for k, v in obj.items() if k in fields or k == "id"}

    def get_me(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused:
            return refused
        if self.mode == "instagram":
            me = {"id": self.ig_user_id, "username": self.ig_username, "user_id": self.ig_user_id}
        else:
            me = {"id": self.page_id, "name": self.page_name}
        return self._ok(self._fields(request, me))

    def get_node(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused:
            return refused
        node = request.match["node"]
        if node == self.ig_user_id:
            return self._ok(self._fields(request, {"id": node, "username": self.ig_username}))
        if node == self.page_id:
            return self._ok(self._fields(request, {"id": node, "name": self.page_name}))
        return self._unknown("get", node)

    @staticmethod
    def _unknown(verb: str, node: str) -> Response:
        return Response.json(
            meta_error(
                f"Unsupported {verb} request. Object with ID '{node}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation.",
                100,
                subcode=33,
                kind="GraphMethodException",
            ),
            400,
        )

    # -- writing ------------------------------------------------------------------------
    def _text_error(self, text, limit: int, length: int) -> Response | None:
        if not isinstance(text, str) or not text:
            return Response.json(meta_error("(#100) The parameter message is required", 100), 400)
        if length > limit:
            return Response.json(
                meta_error(f"(#100) Param message must be at most {limit} characters long", 100),
                400,
            )
        return None

    def comment(self, request: Request) -> Response:
        """A Facebook comment on a post or an answer to a comment."""
        refused = self._auth(request)
        if refused:
            return refused
        node = request.match["node"]
        if node in self.comments:
            post_id = self.comments[node]
        elif node in self.posts:
            post_id = node
        else:
            return self._unknown("post", node)
        text = self._params(request).get("message")
        bad = self._text_error(text, 8000, len(text or ""))
        if bad:
            return bad
        new_id = f"{post_id.rpartition('_')[2]}_{next(self.numbers)}"
        self.comments[new_id] = post_id
        self.sent.append(
            {"kind": "comment", "target": node, "text": text, "id": new_id, "post_id": post_id}
        )
        return self._ok({"id": new_id})

    def ig_reply(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused:
            return refused
        node = request.match["node"]
        if node not in self.ig_comments:
            return self._unknown("post", node)
        text = self._params(request).get("message")
        bad = self._text_error(text, 2200, len(text or ""))
        if bad:
            return bad
        new_id = str(next(self.numbers))
        self.ig_comments[new_id] = self.ig_comments[node]
        self.sent.append(
            {
                "kind": "ig_reply",
                "target": node,
                "text": text,
                "id": new_id,
                "media_id": self.ig_comments[node],
            }
        )
        return self._ok({"id": new_id})

    def ig_mention_reply(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused:
            return refused
        if request.match["node"] != self.ig_user_id:
            return self._unknown("post", request.match["node"])
        data = self._params(request)
        text = data.get("message")
        bad = self._text_error(text, 2200, len(text or ""))
        if bad:
            return bad
        target = data.get("comment_id") or data.get("media_id")
        if not data.get("media_id"):
            return Response.json(meta_error("(#100) The parameter media_id is required", 100), 400)
        new_id = str(next(self.numbers))
        self.ig_comments[new_id] = str(data["media_id"])
        self.sent.append(
            {
                "kind": "ig_mention",
                "target": target,
                "text": text,
                "id": new_id,
                "media_id": str(data["media_id"]),
            }
        )
        return self._ok({"id": new_id})

    def send_message(self, request: Request) -> Response:
        refused = self._auth(request)
        if refused:
            return refused
        node = request.match["node"]
        owner = self.ig_user_id if self.mode == "instagram" else self.page_id
        if node not in ("me", owner):
            return self._unknown("post", node)
        data = self._params(request)
        person = str((data.get("recipient") or {}).get("id") or "")
        text = (data.get("message") or {}).get("text")
        if self.mode == "instagram":
            bad = self._text_error(text, 1000, len((text or "").encode("utf-8")))
        else:
            bad = self._text_error(text, 2000, len(text or ""))
        if bad:
            return bad
        last = self.last_inbound.get(person)
        if last is None:
            return Response.json(
                meta_error("(#100) No matching user found", 100, subcode=2018001), 400
            )
        age = self.now() - last
        kind, tag = data.get("messaging_type", "RESPONSE"), data.get("tag")
        allowed = age <= DAY if kind in ("RESPONSE", "UPDATE") else False
        if kind == "MESSAGE_TAG" and tag == "HUMAN_AGENT":
            allowed = age <= 7 * DAY
        if not allowed:
            return Response.json(
                meta_error(
                    "(#10) This message is sent outside of allowed window. Learn more about the "
                    "new policy here: https://developers.facebook.com/docs/messenger-platform/"
                    "policy-overview",
                    10,
                    subcode=2018278,
                ),
                400,
            )
        prefix = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE" if self.mode == "instagram" else "m_"
        mid = prefix + secrets.token_urlsafe(24)
        self.sent.append(
            {
                "kind": "message",
                "target": person,
                "text": text,
                "id": mid,
                "messaging_type": kind,
                "tag": tag,
                "at": self.now(),
            }
        )
        return self._ok({"recipient_id": person, "message_id": mid})

    # -- faults ---------------------------------------------------------------------------
    def throttle_next(self, seconds: int, *, code: int = 4, path: str = r".*") -> None:
        """The next call is refused as throttled; usage headers say when it comes back."""
        messages = {
            4: "(#4) Application request limit reached",
            17: "(#17) User request limit reached",
            32: "(#32) Page request limit reached",
            613: "(#613) Calls to this api have exceeded the rate limit.",
        }
        usage = {
            self.page_id: [
                {
                    "type": "pages",
                    "call_count": 100,
                    "total_cputime": 12,
                    "total_time": 30,
                    "estimated_time_to_regain_access": seconds / 60,
                }
            ]
        }
        self.fail_next(
            403,
            path=path,
            headers={
                "Content-Type": "application/json",
                "X-Business-Use-Case-Usage": json.dumps(usage),
            },
            body=meta_error(messages.get(code, "(#4) Application request limit reached"), code),
        )

    # -- our own replies coming back ------------------------------------------------------
    def echo_entries(self) -> list[dict]:
        """The webhook entries Meta sends about what we posted (comments, echoes)."""
        entries = []
        for sent in self.sent:
            if sent["kind"] == "comment":
                value = {
                    "from": {"id": self.page_id, "name": self.page_name},
                    "post_id": sent["post_id"],
                    "comment_id": sent["id"],
                    "parent_id": sent["target"],
                    "created_time": int(self.now()),
                    "item": "comment",
                    "verb": "add",
                    "message": sent["text"],
                }
                entries.append(change_entry(self.page_id, "feed", value, self.now()))
            elif sent["kind"] in ("ig_reply", "ig_mention"):
                value = {
                    "id": sent["id"],
                    "text": sent["text"],
                    "from": {"id": self.ig_user_id, "username": self.ig_username},
                    "media": {"id": sent["media_id"], "media_product_type": "FEED"},
                    "parent_id": sent["target"],
                }
                entries.append(change_entry(self.ig_user_id, "comments", value, self.now()))
            else:
                owner = self.ig_user_id if self.mode == "instagram" else self.page_id
                event = {
                    "sender": {"id": owner},
                    "recipient": {"id": sent["target"]},
                    "timestamp": int(sent["at"] * 1000),
                    "message": {
                        "mid": sent["id"],
                        "text": sent["text"],
                        "is_echo": True,
                        "app_id": 1517776481860111,
                    },
                }
                entries.append(messaging_entry(owner, [event], self.now()))
        return entries


def change_entry(owner: str, field: str, value: dict, when: float) -> dict:
    return {"id": owner, "time": int(when), "changes": [{"field": field, "value": value}]}


def messaging_entry(owner: str, events: list[dict], when: float) -> dict:
    return {"id": owner, "time": int(when * 1000), "messaging": events}


class MetaSender:
    """Posts deliveries as Meta's servers do: escaped JSON, signed over exactly those bytes."""

    def __init__(self, app_secret: str, object_name: str, graph: FakeGraph | None = None):
        self.app_secret = app_secret
        self.object_name = object_name
        self.graph = graph

    @staticmethod
    def encode(payload: dict) -> bytes:
        """Meta's bytes: ASCII only (`\\u00e9`, `\\ud83d\\ude00`) and `\\/` for every slash.

        A slash can only occur inside JSON strings, so escaping every one is exact.
        """
        text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
        return text.replace("/", "\\/").encode("ascii")

    def body(self, entries: list[dict]) -> bytes:
        payload = {"object": self.object_name, "entry": entries}
        if self.graph is not None:
            self.graph.observe(payload)
        return self.encode(payload)

    def headers(self, body: bytes, secret: str | None = None) -> dict[str, str]:
        key = (secret if secret is not None else self.app_secret).encode("utf-8")
        return {
            "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
            "X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
        }
