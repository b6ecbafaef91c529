# Set-up contract: `make demo` and `make test` work from a fresh clone with
# Python 3.11 and the package registries only.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

demo: install
	rm -f demo.db demo.db-wal demo.db-shm
	$(BIN)/narratives ingest --feeds narratives/data/samples/demo-feeds.yaml --db demo.db
	$(BIN)/narratives summary --db demo.db

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check narratives tests bench

bench: install
	$(BIN)/python bench/ingest_bench.py

clean:
	rm -rf $(VENV) demo.db demo.db-wal demo.db-shm
