# The two commands of the README: `make demo` and `make test`. Each bootstraps .venv.
# `make test-ui` runs only the browser test of MLTE's web UI (docs/mlte-client-and-ui.md).
# `make serve` serves a SQLite store in this folder over HTTP (docs/server.md).
# `make bench` / `make bench-quick` run the benchmark (benchmarks/, docs/performance.md);
# `make bench-http` only the HTTP one (our server against MLTE's backend).
# `make docs` builds the documentation site strictly into site/, `make docs-serve` serves it;
# `make dist` builds the release's sdist and wheel into dist/ and checks them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo serve test test-ui lint pytest bench bench-http bench-quick profile mutation docs docs-serve dist clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(INSTALLED)

BENCH_INSTALLED := $(VENV)/.bench-installed

$(BENCH_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $(BENCH_INSTALLED)

MUTATION_INSTALLED := $(VENV)/.mutation-installed

$(MUTATION_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e ".[test,mutation]"
	touch $(MUTATION_INSTALLED)

## make demo: migrate a SQLite file in this folder (mlte_store.db) and run the demo on it
demo: $(INSTALLED)
	$(BIN)/mlte-store db upgrade --url sqlite:///mlte_store.db
	$(BIN)/mlte-store demo --url sqlite:///mlte_store.db --no-upgrade

## make serve: migrate mlte_store.db here and serve it on http://127.0.0.1:8080/api (PORT=...)
SERVE_URL := sqlite:///mlte_store.db
serve: $(INSTALLED)
	$(BIN)/mlte-store db upgrade --url $(SERVE_URL)
	@echo "Create the first admin (in another terminal): $(BIN)/mlte-store users add NAME --admin --url $(SERVE_URL)"
	$(BIN)/mlte-store serve --url $(SERVE_URL) --host 127.0.0.1 --port $(or $(PORT),8080)

## make test: lint, type-check, build the documentation strictly, and run the whole suite
## on SQLite and PostgreSQL (the browser test of MLTE's web UI is skipped where Chromium
## is not installed)
test: lint docs pytest

## make test-ui: only the browser test of MLTE's web UI (apt-get install chromium chromium-driver)
test-ui: $(INSTALLED)
	$(BIN)/python -m pytest -m ui

lint: $(INSTALLED)
	$(BIN)/ruff check mlte_store migrations tests benchmarks tools docs/hooks
	$(BIN)/mypy

pytest: $(INSTALLED)
	$(BIN)/python -m pytest

## make bench: N = 1,000, 10,000, 100,000 on SQLite and PostgreSQL, then the HTTP benchmark;
## rewrites benchmarks/RESULTS.md
bench: $(BENCH_INSTALLED)
	$(BIN)/python -m benchmarks.run --output benchmarks/RESULTS.md
	$(BIN)/python -m benchmarks.http --output benchmarks/RESULTS.md

## make bench-http: `mlte-store serve --workers 2` against MLTE 2.7.0's backend over HTTP,
## N = 1,000, 1/8/32 clients, both backends (~30 min); rewrites RESULTS.md's HTTP section
bench-http: $(BENCH_INSTALLED)
	$(BIN)/python -m benchmarks.http --output benchmarks/RESULTS.md

## make bench-quick: N = 1,000 with fewer calls (a minute or two); prints only
bench-quick: $(BENCH_INSTALLED)
	$(BIN)/python -m benchmarks.run --quick

## make profile: pyinstrument call trees of write, read and search (BACKEND=sqlite|postgresql)
profile: $(BENCH_INSTALLED)
	$(BIN)/python -m benchmarks.profile --backend $(or $(BACKEND),sqlite)

## make mutation: mutmut over the modules listed in pyproject.toml ([tool.mutmut] only_mutate),
## SQLite suite only; not in CI (slow). MUTANTS='mlte_store.query.*' runs a part; see docs/mutation.md
mutation: $(MUTATION_INSTALLED)
	$(BIN)/mutmut run --max-children $(or $(JOBS),2) $(MUTANTS)
	$(BIN)/mutmut results

## make docs: build the documentation site into site/; --strict makes a broken link, a
## missing page or an API reference that does not resolve fail the build
docs: $(INSTALLED)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

## make docs-serve: serve the documentation on http://127.0.0.1:8000, rebuilt on every change (PORT=...)
docs-serve: $(INSTALLED)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:$(or $(PORT),8000)

## make dist: build the release (sdist and wheel, version from mlte_store/_version.py) into
## dist/ and check them with twine (what PyPI would refuse fails here)
dist: $(INSTALLED)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf mutants $(VENV) mlte_store.db mlte_store.db-wal mlte_store.db-shm dist build site
