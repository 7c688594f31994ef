# gatekeeper: `make run` (the main job on the embedded default) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PLUGINS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
SUPPORT := $(sort $(dir $(wildcard testing/*/pyproject.toml)))
STAMP  := $(VENV)/.installed

.PHONY: install run test bench lint services clean

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml) $(wildcard testing/*/pyproject.toml)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' $(foreach p,$(PLUGINS),-e '$(p:/=)[test]') $(foreach p,$(SUPPORT),-e '$(p:/=)')
	@touch $(STAMP)

install: $(STAMP)

services:
	@bash scripts/services.sh

run: install
	@bash scripts/run.sh

# the suite in parallel, then the tests of the one RabbitMQ broker (a test restarts it) alone
test: install services
	$(BIN)/pytest -q -n auto -m "not rabbitmq and not quiet"
	$(BIN)/pytest -q -m "rabbitmq or quiet"

bench: install services
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check src tests bench plugins testing
	$(BIN)/ruff format --check src tests bench plugins testing
	$(BIN)/mypy --strict src
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
