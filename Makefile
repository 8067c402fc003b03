# Cluster Exchange: `make run` serves the site with demo data; `make test` runs every test.
# Both create .venv on first use and can be run again at any time (the data is kept).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

.PHONY: run test lint install install-test frontend openapi clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable
	$(MANAGE) load_demo --if-empty
	$(MANAGE) compute_insights
	$(MANAGE) build_open_data --if-missing
	$(MANAGE) collectstatic --noinput --verbosity 0
	@echo "Cluster Exchange is starting at http://127.0.0.1:8000 (press Ctrl+C to stop)"
	$(BIN)/honcho --procfile platform/Procfile.local --app-root . start

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

# Regenerate the committed OpenAPI schema (docs/openapi.yaml) from the code, after changing
# the API: tests/api/test_openapi_file.py fails while the two differ.
openapi: install
	$(MANAGE) spectacular --file docs/openapi.yaml --validate --fail-on-warn

# Rebuild the committed GOV.UK Frontend CSS and JavaScript in static/dist (needs npm).
frontend:
	bash frontend/build.sh
