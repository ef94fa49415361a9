"""The dependency rules of docs/architecture.md, checked on the code itself.

* Importing the kiosk core loads no Textual, FastAPI, SQLAlchemy or Starlette (a fresh
  interpreter, so that other tests' imports cannot hide a violation).
* ``server`` uses only the contract modules of ``kiosk``.
* No ``kiosk`` module imports ``screens`` or ``server`` at module level (the CLI does so only
  inside the command that needs them).
* No circle of imports among the project's modules (``kiosk``, ``screens``, ``server``,
  ``bench``), counting every import: in functions and under ``TYPE_CHECKING`` too.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORE_MODULES = (
    "kiosk",
    "kiosk.fields",
    "kiosk.protocol",
    "kiosk.protocol.base",
    "kiosk.protocol.student",
    "kiosk.protocol.terminal",
    "kiosk.protocol.registration",
    "kiosk.protocol.proof",
    "kiosk.privacy",
    "kiosk.config",
    "kiosk.cli",
    "kiosk.i18n",
    "kiosk.problem_codes",
    "kiosk.catalogue",
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
SERVER_MAY_USE = frozenset(
    {"protocol", "privacy", "problem_codes", "catalogue", "fields", "i18n", "config", "policy"}
)
STAFF_CONTRACT = ("staff", "corrections", "imports", "progress", "province")
"""The contract's areas only the console and the server speak."""


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


def test_the_kiosk_app_does_not_load_the_consoles_contract() -> None:
    """The kiosk builds only the models of the areas it speaks (issue 18: the contract split
    by area), so a lab terminal's start does not pay for the staff console's."""
    script = (
        "import json, sys, screens.app, screens.launch\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('kiosk.protocol.'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert "kiosk.protocol.student" in loaded
    assert [m for m in loaded if m.rpartition(".")[2] in STAFF_CONTRACT] == []


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


SHARED_WIDGETS = tuple(
    str(path.relative_to(REPO)) for path in sorted((REPO / "screens" / "widgets").glob("*.py"))
)
"""Widgets both apps use: they may lean on the core and on each other, not on either app."""


@pytest.mark.parametrize("module", SHARED_WIDGETS)
def test_shared_widgets_do_not_import_either_app(module: str) -> None:
    path = REPO / module
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    offences = [
        f"{module}:{line}: {name}"
        # Anywhere in the file, ``if TYPE_CHECKING:`` included: a type-only import still ties
        # the widget to one app.
        for line, name in imported_modules(tree, top_level_only=False)
        if name.split(".")[0] == "screens" and not name.startswith("screens.widgets")
    ]
    assert offences == []


def test_the_widget_scan_sees_a_type_only_import_of_the_app() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from screens.app import A\n"
    names = [name for _, name in imported_modules(ast.parse(source), top_level_only=False)]
    assert "screens.app" in names


PROJECT_PACKAGES = ("kiosk", "screens", "server", "bench")


def project_modules() -> dict[str, Path]:
    """Every module of the project's packages by dotted name (a package by its own name)."""
    modules: dict[str, Path] = {}
    for package in PROJECT_PACKAGES:
        for path in python_files(package):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def project_imports(module: str, tree: ast.Module, known: Iterable[str]) -> set[str]:
    """The project modules ``module`` imports anywhere in ``tree``.

    ``from a import b`` is an import of the module ``a.b`` when that is a module, else of
    ``a``; relative imports are resolved against ``module``'s package.
    """
    names = set(known)
    package = module if module in names and _is_package(module) else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in names:
                    found.add(target)
                elif base in names:
                    found.add(base)
    found.discard(module)
    return found


def _is_package(module: str) -> bool:
    return (REPO / module.replace(".", "/") / "__init__.py").exists()


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One circle of ``graph`` as the path that closes it (``[a, b, a]``), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def test_no_import_circles_among_the_projects_modules() -> None:
    modules = project_modules()
    assert {"kiosk.outbox", "screens.app", "server.app", "bench.load"} <= set(modules)
    graph = {
        name: project_imports(name, ast.parse(path.read_text(encoding="utf-8"), str(path)), modules)
        for name, path in modules.items()
    }
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_the_circle_finder_sees_type_checking_and_submodule_imports() -> None:
    """The scan above is only worth something if it can fail: a circle closed by an import
    under TYPE_CHECKING, through ``from package import submodule``, is found."""
    known = {"screens", "screens.app", "screens.base", "screens.text"}
    app = ast.parse("from screens.base import KioskScreen\nfrom screens import text\n")
    base = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from screens import app\n"
    )
    graph = {
        "screens.app": project_imports("screens.app", app, known),
        "screens.base": project_imports("screens.base", base, known),
    }
    assert graph["screens.app"] == {"screens.base", "screens.text"}
    assert find_cycle(graph) == ["screens.app", "screens.base", "screens.app"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
