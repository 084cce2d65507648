# The two commands a newcomer needs: `make run` and `make test`. Both bootstrap .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck contracts pytest migrate demo clean bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/baton run

demo: $(STAMP)
	$(BIN)/baton demo

migrate: $(STAMP)
	$(BIN)/baton migrate

test: lint typecheck contracts pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest -q

# Every benchmark and fault drill, then one summary table (figure, value, target, PASS/FAIL); about 9–15
# minutes on 2 idle vCPUs. Needs PostgreSQL at postgresql://postgres@127.0.0.1:5432/postgres; the
# postgres_restart drill restarts that server (leave it out with BENCH_DRILLS=slack_outage,sigkill,bad_input).
BENCH_OUT ?= /tmp/baton-bench
BENCH_DRILLS ?= slack_outage,postgres_restart,sigkill,bad_input

bench: $(STAMP)
	@rm -rf $(BENCH_OUT) && mkdir -p $(BENCH_OUT) && date +%s > $(BENCH_OUT)/started
	-$(BIN)/python bench/intake/run.py --seconds 5 --settle 5 --json $(BENCH_OUT)/intake.json | tee $(BENCH_OUT)/intake.txt
	-$(BIN)/python bench/latency/run.py --seconds 10 | tee $(BENCH_OUT)/latency.txt
	-$(BIN)/python bench/sweep/run.py --repeats 3 | tee $(BENCH_OUT)/sweep.txt
	-$(BIN)/python bench/triggers/run.py | tee $(BENCH_OUT)/triggers.txt
	-$(BIN)/python bench/quality/run.py | tee $(BENCH_OUT)/quality.txt
	-$(BIN)/python bench/memory/run.py --messages 100000 --json $(BENCH_OUT)/memory.json | tee $(BENCH_OUT)/memory.txt
	-$(BIN)/python bench/faults/run.py --drills $(BENCH_DRILLS) --json $(BENCH_OUT)/faults.json | tee $(BENCH_OUT)/faults.txt
	$(BIN)/python bench/summary.py $(BENCH_OUT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
