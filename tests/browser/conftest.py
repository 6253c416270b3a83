"""Browser tests: Playwright drives Debian's Chromium against Gendan served on 127.0.0.1.

The app runs on its own SQLite database loaded with the demo data, in a real HTTP server
thread; screenshots of each page are kept under test-artifacts/ for people to look at.
"""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.dbsetup import migrate

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium keeps calling Google services this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The application behind the live server, for tests that prepare data the demo lacks.
LIVE: dict = {}


@contextmanager
def serve_demo(tmp_path_factory, upload_dir, name: str, **config):
    """Gendan with the demo data on a free port of 127.0.0.1 (its own SQLite file under
    `name`); yields the base URL and the app. `config` adds to the app's configuration."""
    from app import create_app
    from app.cli import cli_session
    from app.db import Database
    from app.demo import load_demo

    url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'gendan.db'}"
    migrate(Database(url))
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": f"{name}-test-secret-key-0123456789abcdef",
            "UPLOAD_DIR": str(upload_dir),
            "TESTING": False,
            **config,
        }
    )
    with app.app_context(), cli_session() as session:
        load_demo(session=session)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, upload_dir):
    """Gendan with the demo data, listening on a free port of 127.0.0.1."""
    with serve_demo(tmp_path_factory, upload_dir, "browser") as (base, app):
        LIVE["app"] = app
        yield base


def _phone_env() -> dict[str, str]:
    """The browser is somebody's phone: it keeps its own clock. Under the clock check
    (tests/clockcheck/run) only the server's processes run on the moved clock; Chromium does not
    run under libfaketime (its network stack stalls there)."""
    return {
        k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")
    }


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test`, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=_phone_env())
        yield browser
        browser.close()


@pytest.fixture()
def phone(browser):
    """A page the size of a 375-px-wide phone."""
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture()
def desktop(browser):
    """A desktop-size page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def no_sideways_scroll(page) -> bool:
    """Whether the page fits its viewport's width (charts scroll inside their own box).

    Against the root's clientWidth, the width the page is laid out for: a phone (is_mobile)
    zooms out to show content wider than the screen, and window.innerWidth then grows with it,
    so comparing with innerWidth held on every page."""
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def fits_smallest_phone(page) -> bool:
    """Whether the page, loaded again 320 px wide (the narrowest phones still in use), fits
    that width; the page is left at that width."""
    page.set_viewport_size({"width": 320, "height": 640})
    page.reload(wait_until="networkidle")
    return no_sideways_scroll(page)


def chart_option(page, element_id: str) -> dict:
    """The option of the ECharts instance drawn in an element, as JSON."""
    page.wait_for_function(
        "id => window.echarts && echarts.getInstanceByDom(document.getElementById(id))",
        arg=element_id,
    )
    return page.evaluate(
        """id => {
            const o = echarts.getInstanceByDom(document.getElementById(id)).getOption();
            return {series: o.series.map(s => ({name: s.name, type: s.type, data: s.data})),
                    yAxis: o.yAxis.map(a => a.data || null),
                    xAxis: o.xAxis.map(a => a.data || null)};
        }""",
        element_id,
    )


def shot(page, name: str) -> Path:
    """Keep a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, base: str, username: str, password: str = "gendan2026") -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
