"""A pytest plugin for `make test-isolation`: every xdist worker starts as one that ran a
browser test first, so a test that leans on the state an earlier test left fails.

Two things outlive a test in a worker: the deployment settings (`create_app` calls
`core.configure`, and the browser tests' live servers build apps with SECRET_KEYs of their
own) and the event loop Playwright's sync API keeps running on the main thread. Found that way
on 2026-12-06: the sealing tests read tokens under the wrong key, and asyncio.run refused to
start in the WeCom frame tests.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _as_after_a_browser_test(tmp_path_factory, upload_dir):
    from playwright.sync_api import sync_playwright

    from app import create_app

    playwright = sync_playwright().start()
    url = f"sqlite:///{tmp_path_factory.mktemp('worker-state') / 'gendan.db'}"
    create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "worker-state-secret-key-0123456789abcdef",
            "UPLOAD_DIR": str(upload_dir),
        }
    )
    yield
    playwright.stop()
