"""The dependency rules of DESIGN.md §2, checked on the code itself.

* Importing the kiosk core loads no Textual, FastAPI, SQLAlchemy or Starlette (a fresh
  interpreter, so that other tests' imports cannot hide a violation).
* ``server`` uses only the contract modules of ``kiosk``.
* No ``kiosk`` module imports ``screens`` or ``server`` at module level (the CLI does so only
  inside the command that needs them).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORE_MODULES = (
    "kiosk",
    "kiosk.fields",
    "kiosk.protocol",
    "kiosk.config",
    "kiosk.cli",
    "kiosk.i18n",
)
OPTIONAL_CORE_MODULES = (
    "kiosk.client",
    "kiosk.errors",
    "kiosk.qr",
    "kiosk.submission",
    "kiosk.outbox",
    "kiosk.outbox_cli",
)
HEAVY_PACKAGES = ("textual", "fastapi", "sqlalchemy", "starlette")
# policy: the rules the kiosk explains and the server enforces; province_protocol: contract.
SERVER_MAY_USE = frozenset({"protocol", "fields", "i18n", "config", "policy", "province_protocol"})


def core_modules() -> list[str]:
    present = [name for name in OPTIONAL_CORE_MODULES if importlib.util.find_spec(name)]
    return [*CORE_MODULES, *present]


def test_core_imports_no_heavy_packages() -> None:
    modules = core_modules()
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"heavy = {HEAVY_PACKAGES!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"importing {modules} loaded {loaded}"


def test_the_probe_would_notice_a_heavy_import() -> None:
    """The subprocess check above is only worth something if it can fail."""
    script = "import sys, pydantic, starlette; print('starlette' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.stdout.strip() == "True"


def python_files(package: str) -> Iterator[Path]:
    yield from sorted((REPO / package).rglob("*.py"))


def imported_modules(tree: ast.Module, top_level_only: bool) -> Iterator[tuple[int, str]]:
    """``(line, dotted name)`` of every import; for ``from a import b`` both a and a.b."""
    nodes: Iterable[ast.AST] = _with_guarded_bodies(tree.body) if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _with_guarded_bodies(nodes: list[ast.stmt]) -> Iterator[ast.stmt]:
    # Module-level code inside if/try (e.g. ``try: import x``) still runs at import time;
    # ``if TYPE_CHECKING:`` blocks never run, so those are left out.
    for node in nodes:
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.unparse(node.test):
                yield from _with_guarded_bodies(node.orelse)
                continue
            yield from _with_guarded_bodies(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _with_guarded_bodies(
                node.body
                + node.orelse
                + node.finalbody
                + [s for h in node.handlers for s in h.body]
            )
        else:
            yield node


def test_server_uses_only_the_contract_of_kiosk() -> None:
    files = list(python_files("server"))
    assert files, "no server sources found"
    offences = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for line, name in imported_modules(tree, top_level_only=False):
            parts = name.split(".")
            if parts[0] != "kiosk":
                continue
            if len(parts) == 1:  # ``import kiosk`` or the module part of ``from kiosk import x``
                continue
            if parts[1] not in SERVER_MAY_USE:
                offences.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert offences == []


def test_server_cannot_hide_a_module_behind_from_kiosk_import() -> None:
    tree = ast.parse("from kiosk import client\nimport kiosk.fields\n")
    names = [name for _, name in imported_modules(tree, top_level_only=False)]
    assert "kiosk.client" in names and "kiosk.fields" in names


@pytest.mark.parametrize("forbidden", ["screens", "server"])
def test_kiosk_does_not_import_ui_or_server_at_module_level(forbidden: str) -> None:
    offences = []
    for path in python_files("kiosk"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for line, name in imported_modules(tree, top_level_only=True):
            if name.split(".")[0] == forbidden:
                offences.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert offences == []


def test_module_level_scan_sees_guarded_imports_but_not_function_bodies() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import server.hidden\n"
        "try:\n    import screens.app\nexcept ImportError:\n    pass\n"
        "def command():\n    import server.admin\n"
    )
    names = [name for _, name in imported_modules(ast.parse(source), top_level_only=True)]
    assert "screens.app" in names
    assert "server.admin" not in names and "server.hidden" not in names
