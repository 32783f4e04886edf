"""Debian's headless Chromium driven by Playwright, for the end-to-end tests: a page whose
last screen is saved when its test fails, and numbered screenshots of each step kept as
test artifacts."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect, sync_playwright

from tests.support.processes import PROJECT_ROOT
from tests.support.waiting import HTTP_TIMEOUT, PATIENCE

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "artifacts"

Screenshot = Callable[[Page, str], None]
FAILED = pytest.StashKey[bool]()  # set by tests/e2e/conftest.py once a test has run


@contextmanager
def chromium_page(
    request: pytest.FixtureRequest, failure_shot: Path, **context: object
) -> Iterator[Page]:
    """A page in a new browser; if its test failed, its last screen is saved."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        browser_context = browser.new_context(**context)  # type: ignore[arg-type]
        browser_context.set_default_timeout(HTTP_TIMEOUT * 1000)
        expect.set_options(timeout=PATIENCE * 1000)  # what the page is expected to show
        page = browser_context.new_page()
        try:
            yield page
        finally:
            if request.node.stash.get(FAILED, False):
                failure_shot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(failure_shot), full_page=True)
            browser.close()


@contextmanager
def screenshot_folder(folder: Path) -> Iterator[Screenshot]:
    """Numbered full-page screenshots of each step, in `folder` (emptied first)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    taken: list[Path] = []

    def take(page: Page, name: str) -> None:
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)

    yield take


SERIOUS = ("serious", "critical")


def accessibility_problems(page: Page) -> str:
    """axe-core's serious and critical violations on the page (WCAG 2.1 A and AA: labels,
    contrast, names, ARIA, landmarks), as a readable report; "" when there are none."""
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in serious
    )
