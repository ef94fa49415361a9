"""``make bench``: the kiosk and the server measured against their budgets in one run.

Run ``python -m bench`` (``make bench``); it writes ``bench/report.md`` and ``bench/report.json``.
Every measurement runs in its own subprocess, every loop is bounded by a count and a time,
and all load goes to servers this run started on 127.0.0.1.
"""
