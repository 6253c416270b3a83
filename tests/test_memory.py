"""Long-running processes keep the garbage collector off their start-up objects (app/memory.py).

Run in child processes: freezing the test worker itself would change the suite's own memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _child(code: str):
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.splitlines()[-1])


def test_a_gunicorn_worker_freezes_what_loading_the_app_built():
    seen = _child(
        "import gc, json, runpy; import models, app.services.alerts; "
        "c = runpy.run_path('gunicorn.conf.py'); before = len(gc.get_objects()); "
        "c['post_worker_init'](None); "
        "print(json.dumps({'before': before, 'after': len(gc.get_objects()), "
        "'frozen': gc.get_freeze_count()}))"
    )
    # Every object alive after start-up is out of the collector's reach; nothing is lost.
    assert seen["before"] > 10_000 and seen["frozen"] >= seen["before"] // 2
    assert seen["after"] < 100
