"""The README's Layout section names every module of the product, so a newcomer finds each."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("kiosk", "screens", "server", "bench")


def layout_section() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Layout\n")
    return readme[start : readme.index("\n## ", start + 1)]


def listed() -> set[str]:
    """``package/module.py`` for each row of the section's tables, under its package's heading."""
    found: set[str] = set()
    package = ""
    for line in layout_section().splitlines():
        heading = re.match(r"\*\*`([a-z]+)/`\*\*", line)
        if heading:
            package = heading[1]
        row = re.match(r"\| `([^`]+\.py)` \|", line)
        if row and package:
            found.add(f"{package}/{row[1]}")
    return found


def modules() -> set[str]:
    return {
        str(path.relative_to(REPO))
        for package in PACKAGES
        for path in (REPO / package).rglob("*.py")
        if "migrations" not in path.parts
        and not (path.name == "__init__.py" and not path.read_text(encoding="utf-8").strip())
    }


def test_every_module_is_in_the_layout_and_nothing_else() -> None:
    shown = listed()
    assert len(shown) > 100
    assert sorted(modules() - shown) == [], "modules missing from README's Layout"
    assert sorted(shown - modules()) == [], "README's Layout names modules that do not exist"
