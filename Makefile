# Two commands on a fresh machine: `make run` and `make test`.
PY        ?= python3.11
VENV      := .venv
BIN       := $(VENV)/bin
DATA      ?= data
PHAPDIEN  ?= ../shared/corpus/phapdien
EVALSET   ?= ../shared/eval/court_subset/questions.jsonl
export TROLY_DATA_DIR ?= $(abspath $(DATA))

.PHONY: install model run lint test eval eval-qa bench bench-volume fuzz index clean

$(BIN)/troly: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

install: $(BIN)/troly

# Re-checked when the preparation code changes: `troly model prepare` rebuilds the folder
# only if its format version is older (indexing/e5_convert.py MODEL_FORMAT), else does nothing.
$(TROLY_DATA_DIR)/models/multilingual-e5-small/.ready: indexing/e5_convert.py | $(BIN)/troly
	$(BIN)/troly model prepare
	touch $@

model: install $(TROLY_DATA_DIR)/models/multilingual-e5-small/.ready

index: model
	$(BIN)/troly index laws $(PHAPDIEN)

run: model
	$(BIN)/troly demo prepare --phapdien $(PHAPDIEN)
	$(BIN)/troly serve

# ruff and mypy (settings in pyproject.toml [tool.ruff], [tool.mypy]: strict on corpus/ and
# indexing/); `make test` fails on either. mypy's cache (.mypy_cache) keeps a re-run to seconds.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: model lint
	$(BIN)/pytest -q

eval: index
	$(BIN)/troly eval $(EVALSET)

bench: model
	$(BIN)/python -m eval.bench --phapdien $(PHAPDIEN) --questions $(EVALSET)
	$(BIN)/python -m indexing.bench_qdrant --points 100000
	$(BIN)/python -m eval.bench_load --phapdien $(PHAPDIEN) --questions $(EVALSET) --out $(DATA)/bench-load.json

# Search at volume (docs/benchmarks.md "Search at volume"): the legal index at a million points
# (the real corpus + synthetic passages near it; shard kept in $(DATA)/bench-volume), 50,000
# approved Q&A entries beside the demo-size set (two Q&A stores kept in $(DATA)/bench-qa-volume
# and reused), one ask profiled.
# About 1.5 hours on 2 quiet cores, most of it the HNSW build and embedding 50,000 questions.
bench-volume: index
	nice -n 5 $(BIN)/python -m indexing.bench_volume --source $(TROLY_DATA_DIR)/index --questions $(EVALSET) \
		--points 1000000 --client-points 10000 --workdir $(DATA)/bench-volume
	nice -n 5 $(BIN)/python -m eval.bench_qa_volume --entries 50000 --work-dir $(DATA)/bench-qa-volume
	nice -n 5 $(BIN)/python -m eval.profile_ask --questions $(EVALSET)

fuzz: install
	TROLY_FUZZ_EXAMPLES=50 $(BIN)/pytest -q tests/api/test_fuzz_api.py tests/test_fuzz_text_parsers.py

clean:
	rm -rf $(VENV) $(DATA)

# Contributed-Q&A matching on our own set (docs/benchmarks.md); a fresh temporary KB each run.
QAEVAL    ?= eval/data/qa_eval.jsonl
eval-qa: model
	$(BIN)/troly eval-qa $(QAEVAL) --json
