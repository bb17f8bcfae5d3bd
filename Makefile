# Two commands do everything on a fresh machine (Python 3.11+ with venv):
#   make run    set up, then run the bot (console adapter on SQLite when no tokens are set)
#   make test   set up, then run the whole test suite (SQLite and PostgreSQL)
VENV ?= .venv
PYTHON ?= python3
ALIGNBOT_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
export ALIGNBOT_TEST_POSTGRES_URL

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

.PHONY: setup run console test lint bench
setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/alignbot run

console: setup
	$(VENV)/bin/alignbot console

test: setup
	$(VENV)/bin/pytest -n 2 -q

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The benchmarks, one after the other, each printing its table (see bench/README.md; the ack
# latency bench runs Slack and Teams, also on PostgreSQL at $(ALIGNBOT_TEST_POSTGRES_URL)).
# About 15 minutes.
bench: setup
	$(VENV)/bin/python bench/evaluator_throughput.py
	$(VENV)/bin/python bench/digest_time.py
	$(VENV)/bin/python bench/leads_import.py
	$(VENV)/bin/python bench/ack_latency.py --postgres
	$(VENV)/bin/python bench/fanout.py
