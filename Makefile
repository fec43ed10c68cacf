# Bookbridge. `make run` for the demo, `make test` for the suite; see README.md.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
SANDBOX_PORT ?= 8443
SANDBOX_CA := .sandbox/ca.pem
# The sandbox's calendars and subscriptions, kept across restarts as the database keeps ids.
SANDBOX_STATE := .sandbox/state.pickle
# The demo's logs: the task cluster's and the web server's lines would bury the sign-in.
CLUSTER_LOG := .sandbox/cluster.log
WEB_LOG := .sandbox/web.log
# The set-up commands say what they did; the task queue's INFO lines are for the log.
QUIET := LOG_LEVEL=WARNING

.PHONY: install run test bench lint format

# (Re)install only when pyproject.toml changed; create .env from the example once.
install: $(VENV)/.installed .env

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

.env:
	cp .env.example .env
	@echo "Created .env from .env.example (development settings)."

# The web server, the task cluster and the sandbox (Microsoft Graph and Rover stand-ins),
# with Graph aimed at the sandbox. The addresses chosen (PORT, SANDBOX_PORT) go into .env,
# so any manage.py command in another shell uses the same ones.
run: install
	@$(PY) -m config.devenv .env --run $(HOST) $(PORT) $(SANDBOX_PORT) $(SANDBOX_CA)
	$(QUIET) $(MANAGE) migrate --noinput --verbosity 0
	$(QUIET) $(MANAGE) setup_roles
	$(QUIET) $(MANAGE) setup_schedules
	$(QUIET) $(MANAGE) load_demo
	@$(PY) -m config.devrun \
		--wait-for https://127.0.0.1:$(SANDBOX_PORT)/_sandbox/health --ca-file $(SANDBOX_CA) \
		--ready http://$(HOST):$(PORT)/healthz \
		--then "$(MANAGE) ensure_superuser --box \
			'Bookbridge is running.' '' \
			'Admin:    http://$(HOST):$(PORT)/admin/' \
			'Sandbox:  https://127.0.0.1:$(SANDBOX_PORT)/  (Microsoft Graph and Rover stand-ins)' \
			'Logs:     $(WEB_LOG), $(CLUSTER_LOG)' \
			'Ctrl-C stops everything.' ''" \
		"$(MANAGE) run_sandbox --port $(SANDBOX_PORT) --ca-file $(SANDBOX_CA) --state-file $(SANDBOX_STATE)" \
		"$(MANAGE) qcluster >$(CLUSTER_LOG)" \
		"$(MANAGE) runserver $(HOST):$(PORT) >$(WEB_LOG)"

test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install
	$(PY) -m bench

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
