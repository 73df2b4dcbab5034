# The two entry points: `make demo` and `make test`. Each creates .venv if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo tour test lint typecheck unit browser bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The flagship: the DeFi routing game under every ordering rule and mempool visibility
# (36 runs, about 40 s on two idle cores, as the README says); prints the headline
# metrics and leaves runs/defi-ordering/report.html (every metric; --json for a JSON line).
# BLAS threads only slow the small linear algebra of routing, so they are pinned to one.
# --resume: an interrupted demo goes on where it stopped, a finished one is shown again.
demo: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/accord run examples/defi-ordering.toml --workers 2 --resume

tour: $(STAMP)
	$(BIN)/python examples/device_tour.py

lint: $(STAMP)
	$(BIN)/ruff check accord tests benchmarks examples
	$(BIN)/ruff format --check accord tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy

# Debian's chromium, for the test that renders the report in a real browser
# (tests/lab/test_report.py). Installed when missing and apt-get can run (as root, as in
# CI); otherwise that one test is skipped and says why.
browser:
	@command -v chromium >/dev/null 2>&1 \
	|| { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	     && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	|| echo "note: chromium is not installed; the browser test will be skipped"

unit: $(STAMP) browser
	OPENBLAS_NUM_THREADS=1 $(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_device.py --json

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
