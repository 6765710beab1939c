"""What the Facebook and Instagram harnesses share: Meta's signed deliveries to our hook,
drained as the background would, and the fake Graph API's record of our replies."""

from __future__ import annotations

from panal.channels import deliveries

from .contract import Harness


class MetaHarness(Harness):
    """Subclasses start `self.graph` (FakeGraph), `self.sender` (MetaSender), `self.client`
    and set `self.account`; `path` is the account's hook."""

    def stop(self):
        self.graph.stop()

    def post(self, body: bytes, headers: dict | None = None):
        headers = headers if headers is not None else self.sender.headers(body)
        self.last = (body, headers)
        return self.client.post(
            self.path, data=body, content_type="application/json", headers=headers
        )

    def deliver(self, entries: list[dict]):
        response = self.post(self.sender.body(entries))
        assert response.status_code == 200, response.content
        return response

    def collect(self):
        deliveries.drain_all()

    def redeliver(self):
        body, headers = self.last
        assert self.post(body, headers).status_code == 200

    def post_forged(self, sample):
        body = self.sender.body(sample.data["entry"])
        return self.post(body, self.sender.headers(body, secret="not-the-app-secret"))

    def replies_received(self):
        return [{"text": s["text"], "in_reply_to": s["target"]} for s in self.graph.sent]

    def echo_replies(self):
        self.deliver(self.graph.echo_entries())
