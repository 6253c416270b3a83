"""The chat door: webhooks, commands, senders and the chat simulator.

dingtalk-sdk's client package imports `dingtalk.client.api.taobao`, a generated 4 MB module of
Taobao open-platform calls (TaobaoMixin, thousands of methods) that Gendan never makes. Every
DingTalk import, even `dingtalk.crypto`, goes through it: about 10 MiB of resident memory and
0.45 s in each process that handles DingTalk (every web worker, the scheduler). An empty mixin
stands in for it unless something imported the real one first.
"""

from __future__ import annotations

import sys
import types

TAOBAO = "dingtalk.client.api.taobao"


def _skip_taobao_api() -> None:
    if TAOBAO in sys.modules:
        return
    module = types.ModuleType(TAOBAO, "Stand-in for dingtalk-sdk's unused Taobao API (bots).")
    module.TaobaoMixin = type("TaobaoMixin", (), {"__module__": TAOBAO})
    sys.modules[TAOBAO] = module


_skip_taobao_api()
