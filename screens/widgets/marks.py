"""The marks shown beside decisions. Plain single-width characters, never emoji, because
terminals disagree on the width of emoji."""

from __future__ import annotations

MARK_CORRECT = "√"
MARK_WRONG = "×"
MARK_OPEN = "·"
