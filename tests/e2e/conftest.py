"""What the end-to-end tests share: each test's outcome, for the browser fixtures that keep
the last screen of a failed test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import FAILED


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[object]:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report
