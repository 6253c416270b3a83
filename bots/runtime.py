"""Adapter configurations, platform clients and senders, built from Gendan's settings.

One `ChatRuntime` per process (the web app keeps it in app.extensions, the delivery loop
builds its own). Clients share the access-token cache in the database (TokenStorage on the
key_value table), so every process uses the same platform tokens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from bots.platforms.dingtalk import DingTalkEventConfig, DingTalkRobotConfig
from bots.platforms.tokens import KeyValueStore, TokenStorage
from bots.platforms.wechat import WeChatConfig
from bots.platforms.wecom import WeComConfig
from bots.senders.dingtalk_notice import DingTalkWorkNoticeSender
from bots.senders.dingtalk_robot import DingTalkRobotSender, DingTalkSessionReplier
from bots.senders.wechat_custom import WeChatCustomSender
from bots.senders.wechat_subscribe import WeChatSubscribeSender
from bots.senders.wecom_app import WeComAppSender
from bots.senders.wecom_robot import WeComRobotSender
from models.errors import Unavailable

if TYPE_CHECKING:  # the chat SDKs load on first use (issue 18)
    from bots.senders.clients import WeChatApiClient, WeComApiClient

log = logging.getLogger("gendan.bots")

# What each inbound endpoint and each API client needs from the configuration.
REQUIRED = {
    "wechat": ("WECHAT_TOKEN", "WECHAT_APP_ID"),
    "wecom": ("WECOM_TOKEN", "WECOM_AES_KEY", "WECOM_CORP_ID"),
    "dingtalk": ("DINGTALK_APP_SECRET",),
    "dingtalk_events": ("DINGTALK_TOKEN", "DINGTALK_AES_KEY", "DINGTALK_APP_KEY"),
    "wechat_api": ("WECHAT_APP_ID", "WECHAT_APP_SECRET"),
    "wecom_api": ("WECOM_CORP_ID", "WECOM_SECRET", "WECOM_AGENT_ID"),
    "dingtalk_api": ("DINGTALK_APP_KEY", "DINGTALK_APP_SECRET"),
    "dingtalk_notice": ("DINGTALK_APP_KEY", "DINGTALK_APP_SECRET", "DINGTALK_AGENT_ID"),
}


FEATURE_NAMES = {
    "wechat": "微信公众号/小程序消息",
    "wecom": "企业微信应用消息",
    "dingtalk": "钉钉机器人",
    "dingtalk_events": "钉钉事件订阅",
    "wechat_api": "微信接口",
    "wecom_api": "企业微信接口",
    "dingtalk_api": "钉钉接口",
    "dingtalk_notice": "钉钉工作通知",
}


class NotConfigured(Unavailable):
    """A platform feature was used while its settings are missing (every door answers 503)."""

    code = "platform_not_configured"

    def __init__(self, feature: str, missing: list[str]):
        self.feature = feature
        self.missing = missing
        name = FEATURE_NAMES.get(feature, feature)
        super().__init__(f"{name}未配置，缺少：{', '.join(missing)}", missing=missing)


class ChatRuntime:
    def __init__(self, config: Mapping, store: KeyValueStore):
        self.config = config
        self.store = store
        self.storage = TokenStorage(store)
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def require(self, feature: str) -> None:
        """Raise NotConfigured (logged once per process) if settings for `feature` are missing."""
        missing = [name for name in REQUIRED[feature] if not self.config.get(name)]
        if not missing:
            return
        with self._lock:
            first = feature not in self._warned
            self._warned.add(feature)
        if first:
            log.warning("chat %s is not configured: missing %s", feature, ", ".join(missing))
        raise NotConfigured(feature, missing)

    def _get(self, name: str) -> str:
        return str(self.config.get(name) or "")

    # inbound adapters --------------------------------------------------------------------

    def wechat(self) -> WeChatConfig:
        self.require("wechat")
        return WeChatConfig(
            token=self._get("WECHAT_TOKEN"),
            app_id=self._get("WECHAT_APP_ID"),
            encoding_aes_key=self._get("WECHAT_AES_KEY"),
        )

    def wecom(self) -> WeComConfig:
        self.require("wecom")
        return WeComConfig(
            token=self._get("WECOM_TOKEN"),
            encoding_aes_key=self._get("WECOM_AES_KEY"),
            corp_id=self._get("WECOM_CORP_ID"),
            agent_id=self._get("WECOM_AGENT_ID"),
        )

    def dingtalk_robot(self) -> DingTalkRobotConfig:
        self.require("dingtalk")
        return DingTalkRobotConfig(app_secret=self._get("DINGTALK_APP_SECRET"))

    def dingtalk_events(self) -> DingTalkEventConfig:
        self.require("dingtalk_events")
        return DingTalkEventConfig(
            token=self._get("DINGTALK_TOKEN"),
            aes_key=self._get("DINGTALK_AES_KEY"),
            owner_key=self._get("DINGTALK_APP_KEY"),
        )

    # API clients (built on first use) ----------------------------------------------------

    @cached_property
    def wechat_client(self) -> WeChatApiClient:
        self.require("wechat_api")
        from bots.senders.clients import WeChatApiClient

        return WeChatApiClient(
            self._get("WECHAT_APP_ID"),
            self._get("WECHAT_APP_SECRET"),
            session=self.storage,
            api_base=self._get("WECHAT_API_BASE"),
        )

    @cached_property
    def wecom_client(self) -> WeComApiClient:
        self.require("wecom_api")
        from bots.senders.clients import WeComApiClient

        return WeComApiClient(
            self._get("WECOM_CORP_ID"),
            self._get("WECOM_SECRET"),
            session=self.storage,
            api_base=self._get("WECOM_API_BASE"),
        )

    @cached_property
    def dingtalk_client(self):
        self.require("dingtalk_api")
        from bots.senders.clients import dingtalk_client

        return dingtalk_client(
            self._get("DINGTALK_CORP_ID"),
            self._get("DINGTALK_APP_KEY"),
            self._get("DINGTALK_APP_SECRET"),
            storage=self.storage,
            api_base=self._get("DINGTALK_API_BASE"),
        )

    # senders -----------------------------------------------------------------------------

    @cached_property
    def wecom_robot(self) -> WeComRobotSender:
        return WeComRobotSender(api_base=self._get("WECOM_API_BASE"))

    @cached_property
    def dingtalk_robot_sender(self) -> DingTalkRobotSender:
        return DingTalkRobotSender(api_base=self._get("DINGTALK_API_BASE"))

    @cached_property
    def dingtalk_session(self) -> DingTalkSessionReplier:
        return DingTalkSessionReplier(api_base=self._get("DINGTALK_API_BASE"))

    @cached_property
    def dingtalk_notice(self) -> DingTalkWorkNoticeSender:
        self.require("dingtalk_notice")
        return DingTalkWorkNoticeSender(self.dingtalk_client, self._get("DINGTALK_AGENT_ID"))

    @cached_property
    def wecom_app(self) -> WeComAppSender:
        return WeComAppSender(self.wecom_client, self._get("WECOM_AGENT_ID"))

    @cached_property
    def wechat_custom(self) -> WeChatCustomSender:
        return WeChatCustomSender(self.wechat_client)

    @cached_property
    def wechat_subscribe(self) -> WeChatSubscribeSender:
        return WeChatSubscribeSender(self.wechat_client)
