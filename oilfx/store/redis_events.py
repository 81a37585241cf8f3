"""The Redis store's event claims (leases), message claims and open replies: the EventClaims capability.

Keys: `event:<id>` ("lease:<token>" with PX lease while a process works on it, then "done" for a day),
`message:<team>:<channel>:<ts>` (the event id that first carried the message), `replies` (open_replies.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from oilfx.store.events import MESSAGES_KEPT, MessageKey
from oilfx.store.leases import OwnedEvents
from oilfx.store.open_replies import RedisOpenReplies
from oilfx.store.redis_client import wrap_errors
from oilfx.store.redis_scripts import Scripts

FINISHED_EVENTS_KEPT = 86400  # seconds; Slack retries within minutes


class RedisEvents(RedisOpenReplies):
    client: Any
    prefix: str
    replies_key: str
    scripts: Scripts
    owned: OwnedEvents  # event id -> our lease value

    open_reply = wrap_errors(RedisOpenReplies.open_reply)
    get_open_reply = wrap_errors(RedisOpenReplies.get_open_reply)
    open_replies = wrap_errors(RedisOpenReplies.open_replies)

    @wrap_errors
    def claim_event(self, event_id: str, lease_seconds: float = 300.0) -> bool:
        # The lease key expires on its own, so a killed owner's event becomes claimable again; "done" stays a day.
        lease_ms = max(1, int(lease_seconds * 1000))
        owner = f"lease:{uuid.uuid4().hex}"
        if not self.client.set(self.prefix + "event:" + event_id, owner, nx=True, px=lease_ms):
            return False
        self.owned.claimed(event_id, owner)
        return True

    @wrap_errors
    def renew_event(self, event_id: str, lease_seconds: float) -> bool:
        owner = self.owned.proof(event_id)
        if owner is None:
            return False
        return bool(self.scripts.renew(keys=[self.prefix + "event:" + event_id],
                                       args=[owner, max(1, int(lease_seconds * 1000))]))

    @wrap_errors
    def renew_events(self, event_ids: list[str], lease_seconds: float) -> list[str]:
        """One pipeline: a few hundred leases renewed in one round trip, not one each (the heartbeat is shared)."""
        proofs = [(event_id, self.owned.proof(event_id)) for event_id in event_ids]
        ours = [(event_id, proof) for event_id, proof in proofs if proof is not None]
        lost = [event_id for event_id, proof in proofs if proof is None]
        if ours:
            with self.client.pipeline(transaction=False) as pipe:
                for event_id, proof in ours:
                    self.scripts.renew(keys=[self.prefix + "event:" + event_id],
                                       args=[proof, max(1, int(lease_seconds * 1000))], client=pipe)
                results = pipe.execute()
            lost += [event_id for (event_id, _), renewed in zip(ours, results, strict=True) if not renewed]
        return lost

    @wrap_errors
    def finish_event(self, event_id: str) -> None:
        self.owned.finished(event_id)
        with self.client.pipeline(transaction=True) as pipe:  # one step: see EventClaims.finish_event
            pipe.set(self.prefix + "event:" + event_id, "done", ex=FINISHED_EVENTS_KEPT)
            pipe.hdel(self.replies_key, event_id)
            pipe.execute()

    @wrap_errors
    def claim_message(self, key: MessageKey, event_id: str, keep_seconds: float = MESSAGES_KEPT) -> bool:
        name = f"{self.prefix}message:{key.team}:{key.channel}:{key.ts}"
        return bool(self.scripts.claim_message(keys=[name], args=[event_id, max(1, int(keep_seconds * 1000))]))
