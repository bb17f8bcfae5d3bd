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

.PHONY: setup run console test test-saturday lint bench mutate
setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/alignbot run

console: setup
	$(VENV)/bin/alignbot console

# The whole suite on 2 workers; prints its wall time at the end (about 8 minutes on 2 cores).
test: setup
	@start=$$(date +%s); status=0; $(VENV)/bin/pytest -n 2 -q || status=$$?; \
	echo "make test: $$(( $$(date +%s) - start )) s wall time"; exit $$status

# The time-sensitive part of the suite again, with the machine's clock at a Saturday late evening
# in Los Angeles (already Sunday in UTC) when it starts: libfaketime moves the clock of pytest and
# of the bot processes the end-to-end tests start. `.ci/run` installs faketime when it is missing.
TIME_SENSITIVE = tests/e2e tests/unit/scheduling tests/unit/schedules tests/unit/leads \
	tests/unit/digest tests/unit/core
FAKE_NOW ?= 2026-12-05 23:30:00
FAKE_TZ ?= America/Los_Angeles
test-saturday: setup
	@command -v faketime >/dev/null || { echo "libfaketime is missing: apt-get install faketime"; exit 2; }
	@# A relative offset, not "@instant": every process (pytest and the bot processes it starts)
	@# then shares one clock, instead of each starting its own at that instant.
	@start=$$(date +%s); status=0; \
	offset=$$(( $$(TZ=$(FAKE_TZ) date -d '$(FAKE_NOW)' +%s) - start )); \
	case $$offset in -*) ;; *) offset="+$$offset";; esac; \
	TZ=$(FAKE_TZ) faketime -f "$${offset}s" \
		$(VENV)/bin/pytest -n 2 -q $(TIME_SENSITIVE) || status=$$?; \
	echo "make test-saturday: $$(( $$(date +%s) - start )) s wall time"; exit $$status

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

# Mutation testing (tools/mutate.py, cosmic-ray): each core module of tools/mutation.toml against
# its tests, one test run per mutant, printing each module's kill rate (target >= 90%). Slow -
# minutes for a small module, hours for all - so not part of CI: run it for what you changed,
# e.g. `make mutate MODULES=bot/leads/cadence.py`; MUTATE_ARGS=--survivors runs again only the
# mutants that survived the last run (after writing the tests that should kill them).
MODULES ?=
MUTATE_ARGS ?=
mutate: setup
	nice -n 15 $(VENV)/bin/python -m tools.mutate $(MUTATE_ARGS) $(MODULES)
