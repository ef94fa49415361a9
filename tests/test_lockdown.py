"""kiosk.lockdown and the console script's entry: which commands lock, in which order."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from kiosk.lockdown import command_of
from tests.e2e.serving import ROOT


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["run"], "run"),
        (["--config", "run", "demo"], "demo"),  # "run" is the config file's name here
        (["--config=x.toml", "run"], "run"),
        (["-h"], None),
        (["outbox", "list"], "outbox"),
        ([], None),
    ],
)
def test_the_command_is_found_without_argparse(argv: list[str], command: str | None) -> None:
    assert command_of(argv) == command


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_kiosk_run_ignores_the_keyboard_signals_before_anything_heavy_is_imported() -> None:
    done = _python(
        """
        import signal, sys
        sys.argv = ["kiosk", "--config", "x.toml", "run"]
        import kiosk.entry
        from kiosk.lockdown import lock_down
        assert lock_down(sys.argv[1:])
        heavy = {"textual", "pydantic", "httpx", "fastapi", "sqlalchemy", "kiosk.cli"}
        print(sorted(heavy & set(sys.modules)))
        print([signal.getsignal(s) is signal.SIG_IGN for s in
               (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP)])
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "[True, True, True]"]


def test_other_commands_keep_ctrl_c_and_the_staff_exit_gives_it_back() -> None:
    done = _python(
        """
        import signal
        from kiosk.lockdown import keep_locked, lock_down, release
        print(lock_down(["outbox", "list"]), signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        keep_locked()  # not locked: changes nothing
        print(signal.getsignal(signal.SIGTSTP) is signal.SIG_DFL)
        lock_down(["run"])
        signal.signal(signal.SIGTSTP, lambda *_: None)  # as Textual's driver does
        keep_locked()
        print(signal.getsignal(signal.SIGTSTP) is signal.SIG_IGN)
        release()
        print(signal.getsignal(signal.SIGINT) is signal.default_int_handler,
              signal.getsignal(signal.SIGQUIT) is signal.SIG_DFL,
              signal.getsignal(signal.SIGTSTP) is signal.SIG_DFL)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["False True", "True", "True", "True True True"]


def test_the_kiosk_core_runs_without_posix_signals() -> None:
    """As on Windows: no SIGQUIT, SIGTSTP or SIGHUP, no fchmod or directory handles, and an
    event loop without signal handlers."""
    done = _python(
        """
        import os, signal
        for name in ("SIGQUIT", "SIGTSTP", "SIGHUP", "SIGCONT", "SIGWINCH", "pause", "alarm"):
            delattr(signal, name)
        for name in ("fchmod", "O_DIRECTORY", "fork", "getuid"):
            delattr(os, name)
        import asyncio, tempfile
        from pathlib import Path
        from kiosk.lockdown import end_on_termination, lock_down, release
        from kiosk.outbox import Outbox
        from tests.test_submission import pending

        print(lock_down(["run"]), signal.getsignal(signal.SIGINT) is signal.SIG_IGN)

        class WindowsLoop(asyncio.SelectorEventLoop):
            def add_signal_handler(self, *args, **kwargs):
                raise NotImplementedError

        end_on_termination(WindowsLoop(), lambda: None)
        with tempfile.TemporaryDirectory() as folder:
            result = pending()
            with Outbox.open(Path(folder) / "var" / "outbox.sqlite3") as box:
                box.save(result)
                print(box.counts().waiting, box.next_due().result_id == result.result_id)
        release()
        print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True True", "1 True", "True"]
