"""Memory at start (issue 18): the heavy libraries load where they are used, not when a web
worker or the scheduler starts. Each check runs in a fresh interpreter, so that nothing the
test session imported already counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KEY = "test-secret-key-that-is-long-enough-0123456789"
HEAVY = (
    "reportlab",
    "openpyxl",
    "zxingcpp",
    "pyzbar",
    "numpy",
    "qrcode",
    "barcode",
    "PIL",
    "PIL.Image",
    "PIL.JpegImagePlugin",
    "PIL.PngImagePlugin",
    "PIL.WebPImagePlugin",
    "alembic",  # with Mako and Pygments: only the migrations and /readyz need it
    # The chat SDKs and what they pull in: a worker that serves no chat request, and the
    # scheduler until it delivers a message, do without them.
    "wechatpy",
    "dingtalk",
    "requests",
    "urllib3",
    "cryptography",
    "xmltodict",
)

BUILD_APP = """
from app import create_app
create_app({"DATABASE_URL": DATABASE_URL, "SECRET_KEY": KEY, "INSTANCE_DIR": FOLDER,
            "UPLOAD_DIR": FOLDER})
"""

# What `flask --app wsgi scheduler` loads before it runs its first job: the app, the
# scheduler process and every job target, outbox delivery and the bot task runner.
SCHEDULER = (
    BUILD_APP
    + """
import reminders.alert_jobs, reminders.jobs, reminders.outbox_job, reminders.process
import bots.delivery, bots.tasks
"""
)


# One interpreter walks through the steps in order and reports, after each, the heavy
# modules it loaded in that step (a fresh interpreter per check cost a start-up each).
STEPS = {
    "build the app": BUILD_APP,
    "start the scheduler": SCHEDULER.removeprefix(BUILD_APP),
    "answer /readyz": """
from app.factory import migration_heads
migration_heads()
""",
    "verify a webhook": """
from bots.platforms.common import sha1_signature
sha1_signature("token", "1700000000", "nonce")
""",
    "deliver as the scheduler": """
from bots.platforms.tokens import MemoryKeyValueStore, TokenStorage
from bots.senders.clients import dingtalk_client
dingtalk_client("corp", "key", "secret", storage=TokenStorage(MemoryKeyValueStore()))
""",
    "draw a label": """
from scanning.labels import LabelSpec, Symbology, modules
from scanning.payload import GendanLabel, LabelKind
modules(LabelSpec(GendanLabel(LabelKind.ORDER, order_code="GD-1"), Symbology.QR))
""",
}


def _walk_script(tmp_path: Path) -> str:
    lines = [
        "import json, sys",
        f"DATABASE_URL = {f'sqlite:///{tmp_path}/start.db'!r}",
        f"KEY = {KEY!r}",
        f"FOLDER = {str(tmp_path)!r}",
        f"HEAVY = {HEAVY!r}",
        "seen, report = set(), {}",
    ]
    for name, code in STEPS.items():
        lines.append(f"exec(compile({code!r}, {name!r}, 'exec'))")
        lines.append(f"report[{name!r}] = [m for m in HEAVY if m in sys.modules and m not in seen]")
        lines.append("seen.update(sys.modules)")
    lines.append("print(json.dumps(report))")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> dict[str, set[str]]:
    """The heavy modules each step loaded (those not loaded by an earlier step)."""
    tmp_path = tmp_path_factory.mktemp("startup")
    done = subprocess.run(
        [sys.executable, "-c", _walk_script(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "GENDAN_ENV": "testing"},
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {name: set(modules) for name, modules in report.items()}


def test_building_the_app_imports_no_heavy_library(loaded):
    assert loaded["build the app"] == set()


def test_the_scheduler_and_its_jobs_import_no_heavy_library(loaded):
    assert loaded["start the scheduler"] == set()


def test_the_readiness_check_reads_the_migration_heads_without_alembic(loaded):
    assert loaded["answer /readyz"] == set()


def test_a_chat_sdk_loads_when_a_webhook_is_verified(loaded):
    """Verifying a WeChat callback signature loads wechatpy (and what it pulls in)."""
    assert {"wechatpy", "requests"} <= loaded["verify a webhook"]


def test_the_scheduler_loads_the_sdks_when_it_delivers(loaded):
    """Building a sender's client (as a delivery does) loads the DingTalk SDK."""
    assert "dingtalk" in loaded["deliver as the scheduler"]


def test_a_heavy_library_loads_when_it_is_used(loaded):
    """The check itself sees imports: drawing a label loads the QR library and Pillow."""
    assert {"qrcode", "PIL"} <= loaded["draw a label"]


def test_table_models_build_no_validator_at_start():
    """Table models are never validated (SQLModel constructs them): their pydantic validators
    are left unbuilt at start (models/__init__.py), and a request-body model still validates."""
    script = (
        "import wsgi, models\n"
        "from models.orders import Order, OrderCreate\n"
        "print(Order.__pydantic_complete__, OrderCreate.__pydantic_complete__)\n"
        "import pydantic\n"
        "try:\n"
        "    OrderCreate.model_validate({'unknown': 1})\n"
        "except pydantic.ValidationError:\n"
        "    print('refused')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "GENDAN_ENV": "testing"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["False", "False", "refused"]


WEB_STACK = ("flask", "werkzeug", "jinja2", "flask_limiter", "flask_openapi3", "flask_wtf", "rich")


def _fresh(script: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "GENDAN_ENV": "testing", **env},
        capture_output=True,
        text=True,
        check=True,
    )


def test_the_scheduler_process_runs_without_the_web_stack():
    """`python -m reminders` and every job it runs, delivery included, load no Flask, no
    templates and no rate limiter: the scheduler is not a web process (issue 18: memory)."""
    script = (
        "import sys, json\n"
        "import reminders.__main__, reminders.alert_jobs, reminders.jobs, reminders.outbox_job\n"
        "import bots.delivery, bots.delivery.wiring, bots.tasks, bots.senders.clients\n"
        f"print(json.dumps([m for m in {WEB_STACK!r} if m in sys.modules]))\n"
    )
    assert json.loads(_fresh(script).stdout) == []


def test_the_scheduler_unseals_a_robot_secret_without_cryptography():
    """A send to a robot with a signing secret unseals it (app/services/chat/_sealing.py) with
    pycryptodome's AES: cryptography's Rust module, 8.4 MiB, stays out of the scheduler."""
    script = (
        "import sys\n"
        "import reminders.__main__, reminders.outbox_job, bots.delivery, bots.senders.clients\n"
        "from app.services.core import configure\n"
        "from app.services.chat._sealing import seal, unseal\n"
        "from bots.platforms.tokens import MemoryKeyValueStore, TokenStorage\n"
        "from bots.senders.clients import dingtalk_client\n"
        f"configure(secret_key={KEY!r})\n"
        "dingtalk_client('corp', 'key', 'secret', storage=TokenStorage(MemoryKeyValueStore()))\n"
        "print(unseal(seal('SECrobot')), 'Crypto' in sys.modules, 'cryptography' in sys.modules)\n"
    )
    assert _fresh(script).stdout.split() == ["SECrobot", "True", "False"]


CHAT_CRYPTO = """
import re, sys
import bots
from wechatpy.crypto import WeChatCrypto
from dingtalk.crypto import DingTalkCrypto
key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
wechat = WeChatCrypto("token", key, "wx-app")
xml = wechat.encrypt_message("<xml><Content>你好</Content></xml>", "1700000000", "n")
signature = re.search(r"<MsgSignature><!\\[CDATA\\[(.*?)\\]", xml).group(1)
opened = wechat.decrypt_message(xml, signature, "1700000000", "n")
print(opened == "<xml><Content>你好</Content></xml>")
ding = DingTalkCrypto("token", key, "ding-key")
sent = ding.encrypt_message("success", "1700000000", "nonce")
print(ding.decrypt_encrypt_str(sent["msg_signature"], sent["timeStamp"], sent["nonce"],
                               sent["encrypt"]) == "success")
print("cryptography" in sys.modules)
"""


def test_the_chat_sdks_encrypt_callbacks_with_pycryptodome():
    """WeChat's and DingTalk's callback crypto take the SDKs' pycryptodome backends (bots/__init__):
    a round trip works in each, and cryptography is not loaded by either."""
    assert _fresh(CHAT_CRYPTO).stdout.split() == ["True", "True", "False"]


def test_a_postgresql_process_does_without_sqlite3():
    """The SQLite writer's connection class is built for SQLite URLs only (app/db.py): a web
    worker or the scheduler on PostgreSQL does not load sqlite3 (1 MiB)."""
    script = (
        "import sys\n"
        "import reminders.__main__, reminders.outbox_job, wsgi\n"
        "from app.db import Database\n"
        "Database('postgresql://postgres@127.0.0.1:5432/test')\n"
        "print('sqlite3' in sys.modules)\n"
    )
    env = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test", "SECRET_KEY": KEY}
    assert _fresh(script, **env).stdout.split() == ["False"]


def test_dingtalk_loads_without_its_taobao_api():
    """dingtalk-sdk's 4 MB generated Taobao module is replaced by an empty mixin (bots/__init__):
    the client still builds and signs, and none of the Taobao calls exist."""
    script = (
        "import sys\n"
        "from bots.platforms.tokens import MemoryKeyValueStore, TokenStorage\n"
        "from bots.senders.clients import dingtalk_client\n"
        "store = TokenStorage(MemoryKeyValueStore())\n"
        "c = dingtalk_client('corp', 'key', 'secret', storage=store)\n"
        "taobao = sys.modules['dingtalk.client.api.taobao']\n"
        "print(getattr(taobao, '__file__', None), type(c).__name__, hasattr(c, 'user'),\n"
        "      any(n.startswith('taobao_') for n in dir(c)))\n"
    )
    assert _fresh(script).stdout.split() == ["None", "AppKeyClient", "True", "False"]


def test_the_scheduler_process_refuses_a_bad_configuration(tmp_path):
    """A bad setting stops `python -m reminders` at start with the reason, as the web app does."""
    done = subprocess.run(
        [sys.executable, "-m", "reminders"],
        cwd=ROOT,
        env={
            **os.environ,
            "GENDAN_ENV": "testing",
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            "SECRET_KEY": KEY,
            "SCHEDULER_LEASE_SECONDS": "soon",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "configuration is invalid" in done.stderr and "SCHEDULER_LEASE_SECONDS" in done.stderr
