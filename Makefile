# bgview — every target sets up what it needs from nothing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Two cores here: two test workers keep the suite quick without starving the ptys.
WORKERS ?= 2

.PHONY: all demo shell test lint bench screenshots clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## demo: a few sample jobs in a throwaway store, and the viewer on them
demo: $(STAMP)
	$(PY) -m bgview.demo

## shell: bgview shell, the REPL whose commands run through bgview, in this project
shell: $(STAMP)
	$(PY) -m bgview shell

## test: venv, install, and every test (the web view's drive Chromium, the MCP tests the
## MCP Inspector from npm, the completion tests tmux, zsh and fish: installed if missing)
test: $(STAMP)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "installing chromium and chromium-driver for tests/web"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium chromium-driver; \
	fi
	@if [ ! -x /usr/bin/tmux ] || [ ! -x /usr/bin/zsh ] || [ ! -x /usr/bin/fish ] \
		|| [ ! -x /usr/bin/npm ]; then \
		echo "installing tmux, zsh, fish and npm for the terminal, completion and MCP tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			tmux zsh fish npm; \
	fi
	@$(PY) -m tests.agent.inspector >/dev/null
	$(PY) -m pytest -q -n $(WORKERS) -p no:cacheprovider

## lint: ruff and mypy
lint: $(STAMP)
	$(VENV)/bin/ruff check bgview tests
	$(VENV)/bin/ruff format --check bgview tests
	$(VENV)/bin/mypy

## bench: the speed budgets, measured on this machine
bench: $(STAMP)
	$(PY) -m tests.bench

## screenshots: the README's pictures, from the snapshot scenarios
screenshots: $(STAMP)
	$(PY) -m tests.ui.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .bench
