"""Keys are declared once (screens/widgets/keys.py), and the key bar never splits a hint.

* Every screen and dialog of both apps binds only what its key map declares; every hint its
  key bar can show is bound (by the screen, the app, or the widget the hint names), and every
  key meant to be shown has its hint.
* At 80 columns, in both languages, every hint of every key bar on the way through the kiosk
  and the console is on one line, whole, and on screen; and the bar shows only keys of its
  screen's key map.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import pytest
from argon2 import PasswordHasher
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

import screens
from kiosk.i18n import Lang, Msg
from screens.app import KioskApp
from screens.staff.app import StaffApp
from screens.staff.base import StaffScreen
from screens.staff.board import BoardScreen
from screens.staff.roles import usable
from screens.widgets.keys import LANGUAGE, Key, KeyBar, KeyMap
from tests import test_screens_snapshots as kiosk_snapshots
from tests import test_staff_snapshots as staff_snapshots
from tests.kiosk_fakes import FakeClient, FakeMonotonic, api_error, build_app, settle
from tests.staff_console_server import LiveServer


def screen_classes() -> list[type[Screen[Any]]]:
    """Every screen and dialog class defined in the ``screens`` package."""
    for module in pkgutil.walk_packages(screens.__path__, "screens."):
        importlib.import_module(module.name)
    found: list[type[Screen[Any]]] = []
    pending: list[type[Any]] = [Screen]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("screens.") and sub not in found:
                found.append(sub)
    return sorted(found, key=lambda cls: cls.__qualname__)


def all_bindings(cls: type[Any]) -> Iterator[Binding]:
    """The bindings ``cls`` makes or inherits."""
    for klass in cls.__mro__:
        yield from Binding.make_bindings(klass.__dict__.get("BINDINGS", []))


def binds(cls: type[Any], key: Key) -> bool:
    """Whether ``cls`` (or a class it inherits from) binds one of ``key``'s keys to its action,
    or, for a key a widget handles, to anything."""
    wanted = set(key.keys.split(","))
    for binding in all_bindings(cls):
        same = binding.action == key.action and binding.priority == key.priority
        if wanted & set(binding.key.split(",")) and (key.by is not None or same):
            return True
    return False


def problems(cls: type[Any], app: type[App[Any]]) -> list[str]:
    """What is wrong with the keys of ``cls``, a screen or dialog shown in ``app``."""
    found: list[str] = []
    keymap: KeyMap = cls.KEYS
    own: list[BindingType] = cls.__dict__.get("BINDINGS", [])
    on_app = issubclass(cls, App)
    declared = keymap.bindings(on_app=on_app) if "KEYS" in cls.__dict__ else []
    if list(Binding.make_bindings(own)) != list(Binding.make_bindings(declared)):
        found.append(f"{cls.__qualname__}: BINDINGS are not made from its KEYS")
    for group, keys in keymap.items():
        for key in keys:
            name = f"{cls.__qualname__}[{group}] {key.shown or key.keys}"
            if group == "hidden":
                if key.label is not None:
                    found.append(f"{name}: a hidden key with a hint")
                continue
            if key.label is None:
                found.append(f"{name}: shown without a hint")
            owner = key.by or (app if key.on_app else cls)
            if not binds(owner, key):
                found.append(f"{name}: shown, but {owner.__qualname__} does not bind it")
    return found


def app_of(cls: type[Any]) -> type[App[Any]]:
    return StaffApp if cls.__module__.startswith("screens.staff.") else KioskApp


def test_every_screen_binds_what_it_shows_and_shows_what_it_means_to() -> None:
    classes = screen_classes()
    names = {cls.__qualname__ for cls in classes}
    assert {"FieldCheckScreen", "PhotoScreen", "ConfirmModal", "CorrectionModal"} <= names
    assert {"BoardScreen", "RegisterScreen", "StaffPinModal", "LoginScreen"} <= names
    found = [problem for cls in classes for problem in problems(cls, app_of(cls))]
    found += problems(KioskApp, KioskApp) + problems(StaffApp, StaffApp)
    assert found == []


def test_the_navigation_keys_are_bound_once_by_the_app_and_shown_by_the_screens() -> None:
    app_keys = {binding.key for binding in all_bindings(StaffApp)}
    assert {"f3", "f4", "f5", "f7", "f8", "f10", "f2", "ctrl+q"} <= app_keys
    for cls in screen_classes():
        if issubclass(cls, StaffScreen):
            screen_keys = {binding.key for binding in all_bindings(cls)}
            assert not screen_keys & {"f3", "f4", "f5", "f7", "f8", "f10"}, cls.__qualname__


def test_role_hiding_still_hides_the_keys_a_role_may_not_use() -> None:
    keys = StaffScreen.KEYS["screen"]
    shown = {key.shown for key in usable("college_office", keys)}
    assert "F5" in shown and "F7" in shown
    assert not shown & {"F3", "F4", "F8"}
    assert {key.shown for key in usable("registrar", keys)} >= {"F3", "F4", "F5", "F7", "F8"}


def test_the_check_finds_an_unbound_hint_a_stray_binding_and_a_hidden_hint() -> None:
    """The check above is only worth something if it can fail."""

    class Careless(Screen[None]):
        KEYS: ClassVar[KeyMap] = KeyMap(
            main=(
                Key("F9", "f9", "nine", Msg("九", "Nine"), by=Input),
                Key("X", "x", "ex", Msg("叉", "Ex"), on_app=True),
            ),
            hidden=(Key("Z", "z", "zed", Msg("字", "Zed")),),
        )
        BINDINGS: ClassVar[list[BindingType]] = [*KEYS.bindings(), Binding("q", "stray")]

    found = problems(Careless, KioskApp)
    assert any("BINDINGS are not made from its KEYS" in line for line in found)
    assert any("F9: shown, but Input does not bind it" in line for line in found)
    assert any("X: shown, but KioskApp does not bind it" in line for line in found)
    assert any("a hidden key with a hint" in line for line in found)


# --- the key bar at 80 columns ----------------------------------------------------------------


def bar_lines(bar: Widget) -> list[str]:
    """The bar's text as it is on screen, line by line (only the lines the bar has room for)."""
    width, height = bar.region.size  # padding included
    assert width > 0 and height > 0
    return [strip.text for strip in bar.render_lines(Region(0, 0, width, height))]


def split_hints(lines: list[str], keys: Iterable[Key], lang: Lang) -> list[str]:
    """The hints of ``keys`` that are not whole on one of ``lines``."""
    hints = [f" {key.shown}  {key.label.get(lang) if key.label else ''}" for key in keys]
    return [hint for hint in hints if not any(hint in line for line in lines)]


def check_bars(app: App[Any], lang: Lang, where: str) -> int:
    """Every hint of every key bar on the screen whole on one visible line; returns how many
    bars were checked."""
    screen = app.screen
    # A dialog may name a declared key otherwise (the confirm dialog's "Enter" for "Y").
    declared = {(k.keys, k.action, k.label) for k in (*type(screen).KEYS.all(), LANGUAGE)}
    checked = 0
    for bar in screen.query(KeyBar):
        if not bar.display or not bar.region.area:
            continue
        checked += 1
        lines = bar_lines(bar)
        for key in (*bar.keys, LANGUAGE):
            assert (key.keys, key.action, key.label) in declared, (
                f"{where}: {key.shown} is not among {type(screen).__qualname__}'s keys"
            )
        split = split_hints(lines, (*bar.keys, LANGUAGE), lang)
        assert split == [], f"{where}: hints split or off the bar: {split!r} in {lines!r}"
    return checked


@pytest.mark.usefixtures("stable_display")
@pytest.mark.parametrize("lang", ["zh", "en"])
# The idle warning is the one kiosk dialog without keys: any key answers it.
@pytest.mark.parametrize("name", [name for name in kiosk_snapshots.STEPS if name != "idle_warning"])
async def test_kiosk_key_bars_at_80_columns_never_split_a_hint(name: str, lang: Lang) -> None:
    client = FakeClient()
    clock = FakeMonotonic()
    if name == "login_error":
        client.fail("login", api_error("invalid_credentials", 401, attempts_left=2))
    app = build_app(
        client,
        clock,
        demo_accounts=kiosk_snapshots.DEMO_ACCOUNTS,
        language=lang,
        staff_pin_hash=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("1"),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await kiosk_snapshots.STEPS[name](pilot, clock)
        await settle(pilot)
        assert check_bars(app, lang, f"{name}/{lang}") >= 1


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(staff_snapshots.STEPS))
async def test_console_key_bars_at_80_columns_never_split_a_hint(
    server: LiveServer, name: str, lang: Lang
) -> None:
    app = server.console(lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await staff_snapshots.STEPS[name](pilot, app)
        await pilot.pause()
        assert check_bars(app, lang, f"{name}/{lang}") >= 1


async def test_the_bar_check_sees_a_hint_split_by_plain_wrapping() -> None:
    """The same hints in a plain text that wraps where it likes break inside a hint at 80
    columns; the key bar breaks only between them."""
    keys = list(BoardScreen.KEYS["screen"])

    class Bars(App[None]):
        CSS = "KeyBar, Static { height: auto; }"
        lang: Lang = "en"

        def compose(self) -> ComposeResult:
            yield KeyBar(keys)
            hints = [f" {k.shown}  {k.label.en if k.label else ''}" for k in keys]
            yield Static("  ".join(hints), id="plain")

    app = Bars()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        bar, plain = app.query_one(KeyBar), app.query_one("#plain", Static)
        assert len(bar_lines(bar)) > 1
        assert split_hints(bar_lines(bar), keys, "en") == []
        assert split_hints(bar_lines(plain), keys, "en") != []
