"""/m/: the phone app's shell, its service worker and manifest, and the first-load budget."""

from __future__ import annotations

import gzip
import json
import re

from app.security import CONTENT_SECURITY_POLICY
from app.web.mobile import SHELL_FILES, STATIC

# Issue 17: the shell's first load stays under 150 KB compressed without the decoder.
BUDGET = 150 * 1024


def test_the_shell_is_chinese_and_carries_the_wasm_policy_only_here(client):
    r = client.get("/m/")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "扫码入库" in page and "登录" in page
    assert 'rel="manifest"' in page and 'name="viewport"' in page
    csp = r.headers["Content-Security-Policy"]
    directives = dict(d.split(" ", 1) for d in csp.split("; "))
    assert directives["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert "'unsafe-eval'" not in csp and "'unsafe-inline'" not in directives["script-src"]
    assert csp.replace(" 'wasm-unsafe-eval'", "") == CONTENT_SECURITY_POLICY
    assert client.get("/login").headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_m_without_a_slash_goes_to_the_shell(client):
    r = client.get("/m")
    assert r.status_code in (301, 308) and r.headers["Location"].endswith("/m/")


def test_the_service_worker_is_scoped_to_m_and_caches_every_shell_file(client):
    r = client.get("/m/sw.js")
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert r.headers["Cache-Control"] == "no-cache"
    script = r.get_data(as_text=True)
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", script).group(1))
    assert shell[0] == "/m/"
    assert sorted(shell[1:]) == sorted(f"/static/web/{name}" for name in SHELL_FILES)
    for url in shell:
        assert client.get(url).status_code == 200, url
    assert '"/static/web/vendor/barcode-detector/"' in script


def test_the_manifest_installs_the_app_at_m(client):
    r = client.get("/m/manifest.webmanifest")
    assert r.status_code == 200 and r.mimetype == "application/manifest+json"
    manifest = r.get_json(force=True)
    assert manifest["start_url"] == "/m/" and manifest["scope"] == "/m/"
    assert manifest["lang"] == "zh-CN" and manifest["display"] == "standalone"
    assert client.get(manifest["icons"][0]["src"]).status_code == 200


def test_the_decoder_is_vendored_pinned_and_served_as_wasm(client):
    base = "/static/web/vendor/barcode-detector/"
    r = client.get(base + "zxing_reader.wasm")
    assert r.status_code == 200 and r.mimetype == "application/wasm"
    assert r.data[:4] == b"\0asm"
    assert client.get(base + "ponyfill.js").status_code == 200
    version = (STATIC / "vendor" / "barcode-detector" / "VERSION").read_text()
    assert "barcode-detector 3.2.2" in version and "zxing-wasm 3.1.3" in version
    exported = (STATIC / "vendor" / "barcode-detector" / "zxing-exported.js").read_text()
    assert 'ee = "3.1.3"' in exported  # the wasm's version the glue was built for


def test_the_first_load_fits_the_budget_without_the_decoder(client):
    page = client.get("/m/").data
    total = len(gzip.compress(page)) + sum(
        len(gzip.compress((STATIC / name).read_bytes())) for name in SHELL_FILES
    )
    assert total < BUDGET, total
    assert not any("vendor" in name for name in SHELL_FILES)


def test_the_shell_scripts_write_user_text_as_text_not_html():
    for name in SHELL_FILES:
        if name.endswith(".js"):
            text = (STATIC / name).read_text()
            assert "innerHTML" not in text and "eval(" not in text, name
