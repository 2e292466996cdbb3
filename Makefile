# Single entry point. `make run` starts the product, `make test` runs the whole test suite.
# Both create what is missing first (Python environments, database, trained model).
SHELL := /bin/bash
.DEFAULT_GOAL := help
ENVS = eval "$$(scripts/bootstrap.sh)" && export TTHC_RASA_VENV="$$RASA_VENV" APP_PY="$$APP_VENV/bin/python"

.PHONY: help setup run test train

help:
	@echo "make run    - install what is missing, train if needed, start Rasa + actions + API"
	@echo "make test   - install what is missing and run the whole test suite"
	@echo "make train  - retrain the Rasa model if its inputs changed"

setup:
	@$(ENVS) && echo "Rasa: $$RASA_VENV" && echo "App:  $$APP_VENV"

run:
	@$(ENVS) && exec "$$APP_PY" -m cli run

test:
	@$(ENVS) && RASA_TELEMETRY_ENABLED=false "$$RASA_VENV/bin/python" -m pytest -p no:cacheprovider tests/rasa_runtime \
	  && "$$APP_PY" -m pytest

train:
	@$(ENVS) && "$$APP_PY" -m cli train

.PHONY: bench-stack
bench-stack:
	@$(ENVS) && "$$APP_PY" -m benchmarks.stack
