"""A DingTalk robot callback's timestamp/sign pair, claimed for its body in the message's own
transaction (bots.inbound.handle_message runs the claim).

The sign covers only the timestamp, so a captured pair would sign any body for its window: the
first body under a pair claims it (the key of `dingtalk.sign_replay_key`, holding the body's
digest until the pair expires), another body under it is a replay and is refused. The key is
written in the transaction that records the message, so a refusal leaves nothing behind and an
accepted message costs no transaction of its own. The same body again is the platform's retry
and goes on to the message-id dedupe.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session

from app.services.chat import DatabaseKeyValueStore, live_value
from bots.errors import ReplayedSign
from bots.platforms import dingtalk

log = logging.getLogger("gendan.bots")
# The pair's live value, read in the statement that looks the message up (bots.inbound): one
# round trip for both. Built once, with the parameters of `SignClaim.seen_params`.
SEEN = live_value(bindparam("claim_key"), bindparam("claim_now"))


@dataclass(frozen=True)
class SignClaim:
    store: DatabaseKeyValueStore
    key: str
    digest: str
    expires_at: datetime
    source: str = ""  # who sent it, for the log

    @classmethod
    def of(
        cls,
        store: DatabaseKeyValueStore,
        headers: Mapping[str, str],
        body: bytes,
        window_ms: int,
        source: str = "",
    ) -> SignClaim:
        key, expires_at = dingtalk.sign_replay_key(headers, window_ms)
        return cls(store, key, hashlib.sha256(body).hexdigest(), expires_at, source)

    seen = SEEN  # what `judge` is given, read with the message's dedupe lookup

    def seen_params(self) -> dict:
        return {"claim_key": self.key, "claim_now": self.store.now()}

    def judge(self, seen: str | None) -> bool:
        """In the read transaction, given the pair's live value (`seen`): refuse a pair seen
        with another body (ReplayedSign); True when this body holds the pair already (a
        retry), False when the pair is free."""
        self._refuse_other(seen)
        return seen is not None

    def take(self, session: Session) -> None:
        """In the write transaction: claim the pair for this body, or refuse (ReplayedSign; the
        caller's transaction then rolls back, with whatever it wrote)."""
        self._refuse_other(self.store.add(self.key, self.digest, self.expires_at, session=session))

    def _refuse_other(self, seen: str | None) -> None:
        if seen is not None and seen != self.digest:
            log.warning(
                "replayed dingtalk timestamp/sign pair with another body from %s", self.source
            )
            raise ReplayedSign()
