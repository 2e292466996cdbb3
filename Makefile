# Single entry point. `make run` starts the product, `make test` runs the whole test suite.
# Both create what is missing first (Python environments, database, trained model).
SHELL := /bin/bash
.DEFAULT_GOAL := help
ENVS = eval "$$(scripts/bootstrap.sh)" && export TTHC_RASA_VENV="$$RASA_VENV" APP_PY="$$APP_VENV/bin/python"

.PHONY: help setup run check test train

help:
	@echo "make run    - install what is missing, train if needed, start Rasa + actions + API"
	@echo "make check  - lint, format, layer contracts and types (also the first step of make test)"
	@echo "make test   - install what is missing and run the whole test suite"
	@echo "make train  - retrain the Rasa model if its inputs changed"
	@echo "make staff-admin - create the first admin account of the staff pages (asks for a password)"
	@echo "make nlu-eval / nlu-atis DATASET=... / bench-stack / bench-knowledge / bench-suggestions / bench-search-length / bench-load / bench-legal-basis / bench-outcomes - measurements"

setup:
	@$(ENVS) && echo "Rasa: $$RASA_VENV" && echo "App:  $$APP_VENV"

run:
	@$(ENVS) && exec "$$APP_PY" -m cli run

# The fast checks, before the test suites (about 10 s in all): lint, format, the layer contracts
# of docs/architecture.md (pyproject.toml [tool.importlinter]) and types (mypy, configured in
# pyproject.toml). All four run, so one pass shows every problem; any failure fails the target.
CHECKS = "ruff check ." "ruff format --check ." "lint-imports" "mypy"
check:
	@$(ENVS) && failed="" \
	  && for check in $(CHECKS); do \
	       echo "[check] $$check"; "$$APP_VENV/bin/"$$check || failed="$$failed, $$check"; \
	     done \
	  && if [ -n "$$failed" ]; then echo "[check] failed: $${failed#, }" >&2; exit 1; fi

# Tests whose fixtures make an application database (API, staff pages, actions, channels) run a
# second time with those databases on PostgreSQL; tests on the `session` fixture run on both
# databases in every pass, the end-to-end stacks run embedded (tests/e2e) and production
# (tests/production, PostgreSQL + Redis).
POSTGRES_PASS = tests/api tests/staff tests/actions tests/admin tests/console tests/channels tests/analytics tests/learning tests/security tests/metrics

# PostgreSQL and Redis: the machine's (127.0.0.1:5432 and :6379) when they answer, else private
# servers started from Debian's packages for this run and stopped after it
# (scripts/provision_services.sh). Tests make their own databases and Redis key prefixes.
test: check
	@$(ENVS) && scripts/install_browser.sh \
	  && eval "$$(scripts/provision_services.sh)" \
	  && trap 'scripts/provision_services.sh --stop "$${TTHC_TEST_SERVICES_DIR:-}"' EXIT \
	  && RASA_TELEMETRY_ENABLED=false "$$RASA_VENV/bin/python" -m pytest -p no:cacheprovider tests/rasa_runtime \
	  && "$$APP_PY" -m pytest \
	  && echo "[test] the fixtures' databases on PostgreSQL (TTHC_TEST_DATABASE=postgresql)" \
	  && TTHC_TEST_DATABASE=postgresql "$$APP_PY" -m pytest $(POSTGRES_PASS)

train:
	@$(ENVS) && "$$APP_PY" -m cli train

.PHONY: staff-admin nlu-eval nlu-atis bench-stack bench-knowledge bench-suggestions bench-search-length bench-load bench-legal-basis bench-outcomes
# The first admin of the staff pages (/staff/login); TTHC_ADMIN_PASSWORD avoids the prompt.
staff-admin:
	@$(ENVS) && "$$APP_PY" -m cli staff create-admin


# Cross-validation and held-out evaluation of the NLU pipeline (reports/nlu/).
nlu-eval:
	@$(ENVS) && PYTHONPATH=. RASA_TELEMETRY_ENABLED=false "$$RASA_VENV/bin/python" -m evaluation cv \
	  && PYTHONPATH=. RASA_TELEMETRY_ENABLED=false "$$RASA_VENV/bin/python" -m evaluation heldout

# Train and score the pipeline on an ATIS-layout dataset: make nlu-atis DATASET=path/to/PhoATIS
nlu-atis:
	@$(ENVS) && PYTHONPATH=. RASA_TELEMETRY_ENABLED=false "$$RASA_VENV/bin/python" -m evaluation atis "$(DATASET)"

bench-knowledge:
	@$(ENVS) && "$$APP_PY" -m benchmarks.knowledge

# Suggestion latency for the hotline console over the imported national sample (p95 < 100 ms).
bench-suggestions:
	@$(ENVS) && "$$APP_PY" -m benchmarks.suggestions

# Procedure search time against message length, up to and past max_message_chars.
bench-search-length:
	@$(ENVS) && "$$APP_PY" -m benchmarks.search_length

bench-stack:
	@$(ENVS) && "$$APP_PY" -m benchmarks.stack

# Load benchmark (docs/capacity.md): the embedded stack and the production profile with 1 and 2
# Rasa replicas, rising concurrency, loopback only; stops by itself (no step starts after 12 min,
# about 13 min in all). Uses the tests' PostgreSQL/Redis (provisioned like make test, in their own
# database and key prefix). ARGS=--quick: a 1-2 minute smoke run.
bench-load:
	@$(ENVS) && eval "$$(scripts/provision_services.sh)" \
	  && trap 'scripts/provision_services.sh --stop "$${TTHC_TEST_SERVICES_DIR:-}"' EXIT \
	  && "$$APP_PY" -m benchmarks.load $(ARGS)

# Legal-basis parsing over the national sample: rows and act numbers parsed against the source
# (every act number intact), the same figures the import report prints.
bench-legal-basis:
	@$(ENVS) && "$$APP_PY" -m benchmarks.legal_basis

# Personal checklists (build, PDF, printable page), the dossier news poller (fake one-stop system
# on loopback) and notices, on a temporary seeded SQLite database; under a minute. Exit 1 when the
# news counts are wrong. ARGS=... sets sizes (python -m benchmarks.outcomes --help).
bench-outcomes:
	@$(ENVS) && "$$APP_PY" -m benchmarks.outcomes $(ARGS)
