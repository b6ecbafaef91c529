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

DEMO_OUT := demo-output

demo: install
	rm -f demo.db demo.db-wal demo.db-shm demo.db.lock
	mkdir -p $(DEMO_OUT)
	$(BIN)/narratives ingest --feeds narratives/data/samples/demo-feeds.yaml --db demo.db
	$(BIN)/narratives summary --db demo.db
	$(BIN)/narratives report trends --db demo.db --by week --chart $(DEMO_OUT)/trends.png
	$(BIN)/narratives report themes --db demo.db --chart $(DEMO_OUT)/themes.png
	$(BIN)/narratives report sources --db demo.db
	$(BIN)/narratives report trends --db demo.db --by week --format csv -o $(DEMO_OUT)/trends.csv
	$(BIN)/narratives export articles --db demo.db -o $(DEMO_OUT)/articles.csv
	$(BIN)/narratives report html --db demo.db -o $(DEMO_OUT)/report.html
	@echo
	@echo "Demo outputs: $(CURDIR)/$(DEMO_OUT)/report.html (open in a browser),"
	@echo "  $(DEMO_OUT)/trends.csv, $(DEMO_OUT)/articles.csv, $(DEMO_OUT)/trends.png, $(DEMO_OUT)/themes.png"

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check narratives tests bench

bench: install
	$(BIN)/python bench/ingest_bench.py

clean:
	rm -rf $(VENV) demo.db demo.db-wal demo.db-shm $(DEMO_OUT)
