"""The web page in a real headless browser (Debian's chromium driven by Playwright): type text,
see each category's label and score, the highlighted words and the rewrite. Saves a screenshot."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("profanity_check")
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

from _serve import ThreadServer  # noqa: E402

from srllm.serve.app import create_app  # noqa: E402
from srllm.serve.settings import ServeSettings  # noqa: E402

SCREENSHOT_DIR = Path(os.environ.get("SRLLM_SCREENSHOT_DIR",
                                    Path(__file__).resolve().parents[1] / "build" / "screenshots"))
UNSAFE = "You are a stupid idiot, and women are too emotional to be engineers."


def find_browser() -> str | None:
    """A Chromium-family browser: $SRLLM_BROWSER, Debian's chromium, or Google Chrome."""
    candidates = [os.environ.get("SRLLM_BROWSER"), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                  shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = find_browser()
    if executable is None:
        pytest.skip("no Chromium browser found (install Debian's chromium: apt-get install -y chromium, "
                    "or set SRLLM_BROWSER)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1000, "height": 1100})
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((url, "data:")) else None)
    page.goto(url + "/")
    return page, outside


def test_page_checks_text_in_a_browser(browser) -> None:
    with ThreadServer(create_app(ServeSettings(engine="lite", workers=0, rewrite_workers=0))) as server:
        page, outside = _open(browser, server.url)
        assert page.title().startswith("srllm")
        page.fill("#text", UNSAFE)
        page.click("#check")
        page.wait_for_selector("#results:not([hidden])", timeout=20_000)

        rows = page.locator("#labels tbody tr")
        assert rows.count() == 5
        cells = {rows.nth(i).get_attribute("data-category"): rows.nth(i).locator("td").all_inner_texts()
                 for i in range(5)}
        assert set(cells) == {"bias", "toxicity", "sentiment", "harm", "unsafe"}
        for category, (name, label, score, _) in cells.items():
            assert name == category and label and 0.0 <= float(score) <= 1.0
        assert cells["unsafe"][1] == "Unsafe" and cells["sentiment"][1] == "Negative"
        assert page.inner_text("#verdict") == "Unsafe"

        marks = page.locator("#highlighted mark").all_inner_texts()
        assert {"stupid", "idiot"} <= set(marks)
        assert page.inner_text("#highlighted") == UNSAFE  # the marks sit inside the original text
        rewrite = page.inner_text("#rewrite")
        assert rewrite and rewrite != UNSAFE and "idiot" not in rewrite
        assert "rewritten" in page.inner_text("#decision") or "fell_back" in page.inner_text("#decision")
        assert outside == [], f"the page fetched external assets: {outside}"

        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOT_DIR / "serve_page.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nscreenshot: {shot}")
        assert shot.stat().st_size > 10_000


def test_page_sends_the_token_and_shows_errors(browser) -> None:
    with ThreadServer(create_app(ServeSettings(engine="lite", workers=0, rewrite_workers=0, token="page-token"))) as server:
        page, _ = _open(browser, server.url)
        page.fill("#text", "Have a lovely day.")
        page.click("#check")
        page.wait_for_function("document.getElementById('error').textContent.length > 0")
        assert "bearer token" in page.inner_text("#error")
        page.fill("#token", "page-token")
        page.click("#check")
        page.wait_for_selector("#results:not([hidden])", timeout=20_000)
        assert page.inner_text("#verdict") == "Benign"
        assert page.inner_text("#decision") == "(not needed)"


def test_docs_render_offline(browser) -> None:
    with ThreadServer(create_app(ServeSettings(engine="lite", workers=0, rewrite_workers=0))) as server:
        page = browser.new_page(viewport={"width": 1000, "height": 1100})
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server.url, "data:")) else None)
        page.goto(server.url + "/docs")
        page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)  # Swagger UI drew the operations
        assert "/v1/classify" in page.inner_text(".swagger-ui")
        assert outside == [], f"/docs fetched external assets: {outside}"
