"""The ``kiosk`` console script: a lab terminal is locked down before anything heavy loads."""

from __future__ import annotations

import sys

from kiosk.lockdown import lock_down


def main() -> int:
    """Lock down for ``kiosk run`` and ``kiosk demo``, then run the command line."""
    lock_down(sys.argv[1:])
    from kiosk.cli import main as run_command_line

    return run_command_line()


if __name__ == "__main__":
    sys.exit(main())
