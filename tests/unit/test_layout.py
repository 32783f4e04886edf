"""The house rules of the layout (README, "Layout"): rooms of about a dozen modules, tests
laid out like the code, and a mapping package that never reads the clock."""

from __future__ import annotations

import ast
from pathlib import Path

MOST_MODULES = 13  # "about a dozen" per folder
CLOCK_READS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}


def _python_folders(root: Path) -> dict[Path, list[str]]:
    folders: dict[Path, list[str]] = {}
    for module in root.rglob("*.py"):
        if "__pycache__" not in module.parts and module.name != "__init__.py":
            folders.setdefault(module.parent, []).append(module.name)
    return folders


def test_no_folder_is_a_flat_list_of_more_than_about_a_dozen_modules(project_root):
    crowded = {
        str(folder.relative_to(project_root)): len(modules)
        for top in ("server", "sandbox")
        for folder, modules in _python_folders(project_root / top).items()
        if len(modules) > MOST_MODULES
    }
    assert crowded == {}


def test_tests_are_laid_out_like_the_code(project_root):
    """tests/unit/<path>/ and tests/integration/<path>/ test server/<path>/."""
    misplaced = []
    for kind in ("unit", "integration"):
        base = project_root / "tests" / kind
        for folder in _python_folders(base):
            relative = folder.relative_to(base)
            if relative.parts and not (project_root / "server" / relative).is_dir():
                misplaced.append(f"tests/{kind}/{relative}")
    assert misplaced == []


def test_the_mapping_never_reads_the_clock(project_root):
    """`now` is passed in: the same order maps to the same document on any day."""
    reads = []
    for module in (project_root / "server" / "mapping").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            if call and node.func.attr in CLOCK_READS:
                reads.append(f"{module.name}:{node.lineno} {node.func.attr}()")
    assert reads == []
