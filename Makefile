# The two commands of the README: `make demo` and `make test`. Each bootstraps .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint pytest clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

## make demo: migrate a SQLite file in this folder (mlte_store.db) and run the demo on it
demo: $(INSTALLED)
	$(BIN)/mlte-store db upgrade --url sqlite:///mlte_store.db
	$(BIN)/mlte-store demo --url sqlite:///mlte_store.db --no-upgrade

## make test: lint, type-check and run the whole suite on SQLite and PostgreSQL
test: lint pytest

lint: $(INSTALLED)
	$(BIN)/ruff check mlte_store migrations tests
	$(BIN)/mypy

pytest: $(INSTALLED)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) mlte_store.db mlte_store.db-wal mlte_store.db-shm dist build
