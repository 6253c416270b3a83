"""Memory at start (issue 18): the heavy libraries load where they are used, not when a web
worker or the scheduler starts. Each check runs in a fresh interpreter, so that nothing the
test session imported already counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


def loaded_after(code: str, tmp_path: Path) -> list[str]:
    """The heavy modules in sys.modules after running `code` in a new interpreter."""
    prelude = (
        f"DATABASE_URL = {f'sqlite:///{tmp_path}/start.db'!r}\n"
        f"KEY = {KEY!r}\nFOLDER = {str(tmp_path)!r}\n"
    )
    report = f"\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run(
        [sys.executable, "-c", prelude + code + report],
        cwd=ROOT,
        env={**os.environ, "GENDAN_ENV": "testing"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_building_the_app_imports_no_heavy_library(tmp_path):
    assert loaded_after(BUILD_APP, tmp_path) == []


def test_the_scheduler_and_its_jobs_import_no_heavy_library(tmp_path):
    assert loaded_after(SCHEDULER, tmp_path) == []


def test_a_heavy_library_loads_when_it_is_used(tmp_path):
    """The check itself sees imports: drawing a label loads the QR library and Pillow."""
    code = (
        BUILD_APP
        + """
from scanning.labels import LabelSpec, Symbology, modules
from scanning.payload import GendanLabel, LabelKind
modules(LabelSpec(GendanLabel(LabelKind.ORDER, order_code="GD-1"), Symbology.QR))
"""
    )
    assert "qrcode" in loaded_after(code, tmp_path)


def test_a_chat_sdk_loads_when_a_webhook_is_verified(tmp_path):
    """Verifying a WeChat callback signature loads wechatpy (and what it pulls in)."""
    code = (
        BUILD_APP
        + """
from bots.platforms.common import sha1_signature
sha1_signature("token", "1700000000", "nonce")
"""
    )
    assert {"wechatpy", "requests"} <= set(loaded_after(code, tmp_path))


def test_the_scheduler_loads_the_sdks_when_it_delivers(tmp_path):
    """Building a sender's client (as a delivery does) loads the SDKs in the scheduler."""
    code = (
        SCHEDULER
        + """
from bots.platforms.tokens import MemoryKeyValueStore, TokenStorage
from bots.senders.clients import dingtalk_client
dingtalk_client("corp", "key", "secret", storage=TokenStorage(MemoryKeyValueStore()))
"""
    )
    assert {"dingtalk", "requests"} <= set(loaded_after(code, tmp_path))
