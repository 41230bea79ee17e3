# Two commands on a fresh machine: `make up` runs the whole system, `make test` tests it.
SHELL := /bin/bash
PY := .venv/bin/python
export UV_PYTHON_DOWNLOADS := never

.PHONY: bootstrap up down status lint typecheck asyncapi test test-down test-coverage test-fast test-faults test-faults-long soak faults-down bench bench-ui bench-down

bootstrap:
	@scripts/bootstrap.sh

up: bootstrap
	@$(PY) -m cascade.devstack up --profile dev

down:
	@$(PY) -m cascade.devstack down --profile dev

status:
	@$(PY) -m cascade.devstack infra status --profile dev

lint: bootstrap
	.venv/bin/ruff format --check .
	.venv/bin/ruff check .

typecheck: bootstrap
	.venv/bin/mypy  # the files are pyproject.toml's [tool.mypy] files

# The AsyncAPI document of every topic, rewritten from the payload models (a unit test fails
# while the committed docs/asyncapi.json differs from the code).
asyncapi: bootstrap
	.venv/bin/cascade asyncapi --write

# The whole suite on the test profile's own PostgreSQL and Kafka (started if needed), on two
# workers: most tests wait on a broker or a process, and each has its own database and
# topics; the fault suite stays on one worker (tests/faults/conftest.py).
# `make test-coverage` is the same run ending with a coverage summary of the product's sources
# ([tool.coverage] in pyproject.toml; each xdist worker measures its share, the controller
# combines them). Not the default: tracing every line cost ~40 % more CPU on a unit sample,
# and the suite's time budget has no room for it on 2 cores.
TEST_WORKERS ?= 2
COVERAGE ?=
test: lint typecheck
	@$(PY) -m cascade.devstack infra up --profile test
	@scripts/ensure-chromium.sh
	@scripts/ensure-axe.sh
	.venv/bin/pytest -n $(TEST_WORKERS) --dist loadgroup $(COVERAGE)

# The test profile's servers and the e2e / message-path tests' three-broker cluster
# (profile test-cluster, started by the fixtures on first use).
test-down:
	$(PY) -c "from cascade.devstack.infra import infra_down; infra_down('test'); infra_down('test-cluster')"

test-coverage: COVERAGE = --cov --cov-report=term:skip-covered
test-coverage: test

# Unit tests only: no broker, no database.
test-fast: bootstrap
	@scripts/ensure-axe.sh  # two checker unit tests run axe-core on static pages
	.venv/bin/pytest -m "not integration and not e2e"

# The fault suite on its own PostgreSQL (55533) and Kafka (19292/19293), profile `faults`:
# the fast subset (also part of `make test`), the long scenarios, and the soak.
test-faults: bootstrap
	.venv/bin/pytest tests/faults

test-faults-long: bootstrap
	.venv/bin/pytest -m "faults or faults_long" tests/faults

N ?= 2000
RATE ?= 4
soak: bootstrap
	$(PY) scripts/soak.py --runs $(N) --rate $(RATE)

# The workflow benchmark: Cascade and its peers (Temporal, DBOS) on the same new-customer
# workflow, side by side, on the bench profile's own PostgreSQL (55633) and Kafka
# (19392/19393); prints figures, ratios and the servers' limits, asserts no time. Knobs:
# BENCH_SYSTEMS, BENCH_C, BENCH_N, BENCH_REPLICAS, BENCH_SCALE=1 (README, "Benchmark").
# pgbench comes with the Debian PostgreSQL server package the devstack installs.
bench: bootstrap
	@if [ -x scripts/ensure-bench-peers.sh ]; then scripts/ensure-bench-peers.sh; \
	else echo "bench: no scripts/ensure-bench-peers.sh: peers run only where already installed"; fi
	$(PY) -m bench.workflow.driver

# Stop the bench profile's PostgreSQL and Kafka.
bench-down:
	$(PY) -c "from cascade.devstack.infra import infra_down; infra_down('bench')"

# Mike's pages over HTTP with 10,000 proposals and 100,000 runs (test profile's PostgreSQL and
# Kafka, a database of its own): prints median and p95 per page, asserts nothing.
bench-ui: bootstrap
	$(PY) bench/ui_pages.py

# Stop the fault profile's PostgreSQL and Kafka (the devstack CLI knows only dev and test).
faults-down:
	$(PY) -c "from cascade.devstack.infra import infra_down; infra_down('faults'); infra_down('faults-cluster')"
