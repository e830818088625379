# Everything runs inside .venv, created and kept in sync with the pinned requirements.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

RETURNS ?= 200
CHAOS_RETURNS ?= 2000
FUZZ_REQUESTS ?= 10000
PORT ?= 8000
POLICY ?=
POLICY_OPTION = $(if $(POLICY),--policy $(POLICY))

.PHONY: test bench run report serve chaos fuzz package redrive reconcile clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

test: $(INSTALLED) browser
	$(BIN)/python -m pytest

# The console's browser tests drive Debian's chromium through its chromedriver; installed when missing (root).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

bench: $(INSTALLED)
	$(BIN)/python bench/refund_quotes.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/console.py

run: $(INSTALLED)
	$(BIN)/python -m localcloud run --returns $(RETURNS) $(POLICY_OPTION)

report: $(INSTALLED)
	$(BIN)/python -m localcloud.report_page out/lake out

chaos: $(INSTALLED)
	$(BIN)/python -m localcloud chaos --returns $(CHAOS_RETURNS)

fuzz: $(INSTALLED)
	$(BIN)/python -m localcloud fuzz --requests $(FUZZ_REQUESTS)

serve: $(INSTALLED)
	$(BIN)/python -m localcloud serve --port $(PORT) $(POLICY_OPTION)

package: $(INSTALLED)
	$(BIN)/python -m infra.package out/package

redrive: $(INSTALLED)
	$(BIN)/python -m infra.redrive $(if $(LIST),--list)

reconcile: $(INSTALLED)
	$(BIN)/python -m infra.reconcile --from $(FROM) --to $(TO) $(if $(MARKETPLACE),--marketplace $(MARKETPLACE))

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
