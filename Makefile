# The two commands of the quick start are `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test install dev e2e-setup bench eval vsix lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

dev: $(STAMP)

## demo: set up and run backcheck on the bundled FastAPI example backend
demo: install
	@echo "== backcheck check examples/shop_api: what the checklist finds =="
	@$(BIN)/backcheck check examples/shop_api --exit-zero --no-cache
	@echo
	@echo "== backcheck routes examples/shop_api: every route and how it is authenticated =="
	@$(BIN)/backcheck routes examples/shop_api --no-cache
	@echo
	@echo "Next: 'backcheck rule BC101' explains a rule; 'backcheck serve' is the language server; 'backcheck tui' the companion."

## e2e-setup: tools the end-to-end tests drive (code-server, Chromium, Playwright); cached
e2e-setup:
	@if [ -x scripts/setup_e2e.sh ]; then scripts/setup_e2e.sh; fi

## test: set up everything the tests need and run the whole suite
test: dev e2e-setup
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

bench: dev
	$(BIN)/python benchmarks/run.py

eval: dev
	$(BIN)/python benchmarks/eval_corpus.py

vsix:
	cd extension && npm ci --no-audit --no-fund && npm run package

lint: dev
	$(BIN)/ruff check server tui tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
