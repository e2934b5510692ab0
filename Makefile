# Two commands on a fresh machine: `make run` (the bot, or a terminal chat without a token)
# and `make test`. Each creates the virtual environment in .venv if it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint eval bench

$(BIN)/speechbot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,e2e]'
	touch $@

run: $(BIN)/speechbot
	$(BIN)/speechbot run

test: lint
	$(BIN)/pytest -q

# Style, formatting, types and the import layers (pyproject.toml [tool.importlinter]).
lint: $(BIN)/speechbot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

eval: $(BIN)/speechbot
	$(BIN)/speechbot eval
