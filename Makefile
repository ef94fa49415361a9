# Every target builds the virtual environment from the lock file first, so a fresh clone
# needs nothing but Python >= 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest serve bench lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --config-settings editable_mode=compat -e .
	touch $(STAMP)

demo: $(STAMP)  ## the kiosk against a demo server on SQLite
	$(BIN)/kiosk demo

serve: $(STAMP)  ## the university server, as config.toml says
	$(BIN)/kiosk serve

test: lint typecheck pytest  ## everything CI checks

lint: $(STAMP)
	$(BIN)/ruff check kiosk screens server tests bench
	$(BIN)/ruff format --check kiosk screens server tests bench

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy bench

# pytest-xdist: one worker per core, a test file's tests on one worker (the module-wide
# servers start once); each worker has its own databases (tests/databases.py).
PYTEST_WORKERS ?= auto
pytest: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Measures the kiosk and the server against the performance budgets of the README's Benchmarks section (loopback only, every loop bounded,
# about 15 minutes on 2 cores with PostgreSQL, 6 of them the lab day); writes
# bench/report.md and bench/report.json. PostgreSQL rows run when KIOSK_BENCH_POSTGRES_URL
# names a database the run may wipe. BENCH_ARGS=--lab-day-only runs only the lab day.
bench: $(STAMP)  ## the performance budgets, measured (README: Benchmarks)
	$(BIN)/python -m bench $(BENCH_ARGS)

lock:  ## re-pin requirements.lock after editing pyproject.toml (needs uv)
	uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
