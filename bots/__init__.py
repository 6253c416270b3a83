"""The chat door: webhooks, commands, senders and the chat simulator.

dingtalk-sdk's client package imports `dingtalk.client.api.taobao`, a generated 4 MB module of
Taobao open-platform calls (TaobaoMixin, thousands of methods) that Gendan never makes. Every
DingTalk import, even `dingtalk.crypto`, goes through it: about 10 MiB of resident memory and
0.45 s in each process that handles DingTalk (every web worker, the scheduler). An empty mixin
stands in for it unless something imported the real one first.

Both chat SDKs encrypt callbacks with AES through cryptography when it imports, else through
pycryptodome (their `crypto/pycrypto.py` backends). cryptography's Rust module puts 8.4 MiB into
a process and pycryptodome's AES 1.8 MiB (issue 18: memory), and pycryptodome is what
app/services/chat/_sealing.py uses too, so the SDKs are pointed at their pycryptodome backends:
one AES library in every process, and cryptography is needed by the tests alone (as the
reference Fernet of tests/services/chat/test_sealing.py).
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


# Their cryptography backends, which each SDK's `crypto/base.py` tries first: a None entry in
# sys.modules makes that import fail with ImportError, and the SDK takes its next backend.
CRYPTOGRAPHY_BACKENDS = ("dingtalk.crypto.cryptography", "wechatpy.crypto.cryptography")


def _use_pycryptodome() -> None:
    for name in CRYPTOGRAPHY_BACKENDS:
        sys.modules.setdefault(name, None)


_skip_taobao_api()
_use_pycryptodome()
