# One entry point for newcomers and CI. Every target sets up the virtualenv it needs first.
PYTHON ?= python3
export NO_MKDOCS_2_WARNING := 1
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINTED := plugins tests $(wildcard benchmarks)

.PHONY: serve build test lint types unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# `make serve PORT=8001` when 8000 is taken. --dirty: a save rebuilds only the pages it changed.
HOST ?= 127.0.0.1
PORT ?= 8000
serve: $(STAMP)
	@$(BIN)/python -c "import socket; socket.create_server(('$(HOST)', $(PORT))).close()" 2>/dev/null \
		|| { echo "make serve: port $(PORT) on $(HOST) is in use; try: make serve PORT=8001" >&2; exit 1; }
	$(BIN)/mkdocs serve --dirty --dev-addr $(HOST):$(PORT)

build: $(STAMP)
	$(BIN)/mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint types unit

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/search.py
	$(BIN)/python benchmarks/imports.py --output docs/performance.md

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache
