"""Everything the simulator remembers: configuration, tokens, counters, recorded messages."""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
from collections import defaultdict, deque
from dataclasses import dataclass

from bots.simulator.clock import Clock

SECTIONS = {
    # section: the field that identifies an item
    "users": "userid",
    "wechat_apps": "appid",
    "wecom_apps": "corpid",
    "dingtalk_apps": "appkey",
    "wecom_bots": "bot_id",  # intelligent robots (long connection)
    "wecom_robots": "key",
    "dingtalk_robots": "access_token",
    "login_codes": "code",
    "subscriptions": None,
    "templates": "template_id",
}
TOKEN_TTL = 7200
ROTATION_OVERLAP = 300


@dataclass
class Token:
    value: str
    platform: str
    app: str  # appid / corpid / appkey
    expires_at: float
    rotated: bool = False
    stable: bool = False


class SimState:
    def __init__(self, clock: Clock | None = None):
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.config: dict[str, list[dict]] = {name: [] for name in SECTIONS}
        self.release = threading.Event()
        self.reset()

    def reset(self, *, config: bool = False) -> None:
        with self.lock:
            if config:
                self.config = {name: [] for name in SECTIONS}
            self.messages: list[dict] = []
            self.calls: list[dict] = []
            self.tokens: dict[str, Token] = {}
            self.sends: dict[str, deque] = defaultdict(deque)
            self.throttled_until: dict[str, float] = {}
            self.used_codes: set[str] = set()
            self.sessions: dict[str, tuple[str, float]] = {}
            self.faults: list[dict] = []
            self.notices_today: dict[tuple[str, str], float] = {}
            self.media: dict[str, bytes] = {}  # images users sent, by media id / download code
            self.menus: dict[tuple[str, str], dict] = {}  # (platform, app[:agentid]) -> menu
            # In-app browser (jssdk.py): per platform the user "in the app" and what its scanner
            # reads; jsapi tickets by value: (platform, app, kind, expires_at).
            self.inapp: dict[str, dict] = {}
            self.tickets: dict[str, tuple[str, str, str, float]] = {}
            self._seq = itertools.count(1)
            self.release.set()  # free requests held by a "hang" fault
            self.release = threading.Event()

    # configuration -------------------------------------------------------------------------

    def add(self, section: str, items: list[dict]) -> None:
        key = SECTIONS[section]
        with self.lock:
            for item in items:
                current = self.config[section]
                if key:
                    current[:] = [i for i in current if i.get(key) != item.get(key)]
                current.append(copy.deepcopy(item))

    def replace(self, config: dict) -> None:
        unknown = set(config) - set(SECTIONS)
        if unknown:
            raise ValueError(f"unknown config sections: {sorted(unknown)}")
        with self.lock:
            self.config = {name: copy.deepcopy(config.get(name, [])) for name in SECTIONS}

    def find(self, section: str, value: str | None, key: str | None = None) -> dict | None:
        key = key or SECTIONS[section]
        if value is None:
            return None
        return next((i for i in self.config[section] if str(i.get(key)) == str(value)), None)

    def user(self, **match) -> dict | None:
        ((key, value),) = match.items()
        return self.find("users", value, key)

    # records -------------------------------------------------------------------------------

    def record(self, **fields) -> dict:
        with self.lock:
            entry = {"seq": next(self._seq), "at": self.clock.now(), **fields}
            self.messages.append(entry)
            return entry

    def pushed(self, platform: str, conversation: str, api: str, payload: dict, **extra) -> dict:
        """Record a message Gendan sent into a chat."""
        msgtype = extra.pop("msgtype", None) or payload.get("msgtype", "")
        return self.record(
            platform=platform,
            conversation=conversation,
            direction="from_gendan",
            api=api,
            msgtype=msgtype,
            payload=payload,
            **extra,
        )

    def record_call(self, **fields) -> None:
        with self.lock:
            self.calls.append({"seq": next(self._seq), "at": self.clock.now(), **fields})

    # tokens --------------------------------------------------------------------------------

    def issue_token(self, platform: str, app: str, *, rotate: bool, stable: bool = False) -> Token:
        """A new token. `rotate`: the app's older tokens die after the overlap (WeChat)."""
        now = self.clock.now()
        with self.lock:
            if rotate:
                for token in self.tokens.values():
                    same = (token.platform, token.app, token.stable) == (platform, app, stable)
                    if same and not token.rotated:
                        token.rotated = True
                        token.expires_at = min(token.expires_at, now + ROTATION_OVERLAP)
            token = Token(secrets.token_hex(24), platform, app, now + TOKEN_TTL, stable=stable)
            self.tokens[token.value] = token
            return token

    def live_token(self, platform: str, app: str, *, stable: bool = False) -> Token | None:
        now = self.clock.now()
        with self.lock:
            for token in self.tokens.values():
                mine = (token.platform, token.app, token.stable) == (platform, app, stable)
                if mine and not token.rotated and token.expires_at > now:
                    return token
        return None

    def check_token(self, platform: str, value: str | None) -> tuple[str, Token | None]:
        """("ok", token) or ("missing" | "invalid" | "expired", None)."""
        if not value:
            return "missing", None
        token = self.tokens.get(value)
        if token is None or token.platform != platform:
            return "invalid", None
        if token.expires_at <= self.clock.now():
            return ("invalid" if token.rotated else "expired"), None
        return "ok", token

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = self.clock.now()

    # jsapi tickets -------------------------------------------------------------------------

    def ticket(self, platform: str, app: str, kind: str) -> tuple[str, float]:
        """The app's live ticket of `kind` (the same until it expires), else a new one."""
        now = self.clock.now()
        with self.lock:
            for value, (p, a, k, expires_at) in self.tickets.items():
                if (p, a, k) == (platform, app, kind) and expires_at > now:
                    return value, expires_at
            value = secrets.token_urlsafe(32)
            self.tickets[value] = (platform, app, kind, now + TOKEN_TTL)
            return value, now + TOKEN_TTL

    def live_tickets(self, platform: str, app: str, kind: str) -> list[str]:
        now = self.clock.now()
        with self.lock:
            return [
                value
                for value, (p, a, k, expires_at) in self.tickets.items()
                if (p, a, k) == (platform, app, kind) and expires_at > now
            ]

    # rate limits ---------------------------------------------------------------------------

    def allow(self, key: str, *, limit: int = 20, window: float = 60.0) -> bool:
        """Count one send for `key` unless `limit` were already counted in `window` seconds."""
        now = self.clock.now()
        with self.lock:
            sent = self.sends[key]
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) >= limit:
                return False
            sent.append(now)
            return True

    def use_code(self, code: str) -> bool:
        """False if the login code was used before (codes are single-use)."""
        with self.lock:
            if code in self.used_codes:
                return False
            self.used_codes.add(code)
            return True
