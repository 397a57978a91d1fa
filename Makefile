# Two commands do all the set-up (see README): `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test index browser speech postgres poppler clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

## Install into .venv, build the index if it is missing or stale, start the app on :8501.
run: $(VENV)/.installed
	$(BIN)/interviewer run --port $(PORT)

## Install everything the tests need (Debian's chromium included) and run the whole suite.
# The index is built (or brought up to date) first, outside pytest's per-test
# timeout: a clean clone embeds every note once, which takes minutes on 2 cores,
# and the tests seed their own index from this one.
test: $(VENV)/.installed-test browser speech postgres poppler
	$(BIN)/interviewer index
	@$(BIN)/python -m pytest tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; exit 1; fi; exit $$rc

index: $(VENV)/.installed
	$(BIN)/interviewer index

# The browser test drives Debian's chromium; nothing downloads a browser at run time.
browser:
	@if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; \
	else echo "error: the browser test needs Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

# The voice tests speak answers with Debian's espeak-ng.
speech:
	@if command -v espeak-ng >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; \
	else echo "error: the voice tests need Debian's espeak-ng: sudo apt-get install espeak-ng" >&2; exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq espeak-ng >/dev/null

# The Postgres-store and replica tests start a throwaway cluster of Debian's
# postgresql themselves (initdb, pg_ctl; nothing runs as a system service).
postgres:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; \
	else echo "error: the store tests need Debian's postgresql: sudo apt-get install postgresql" >&2; exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null

# The report test renders page 1 of the PDF with poppler's pdftoppm.
poppler:
	@if command -v pdftoppm >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; \
	else echo "error: the report test needs Debian's poppler-utils: sudo apt-get install poppler-utils" >&2; exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq poppler-utils >/dev/null

clean:
	rm -rf $(VENV) .interviewer test-artifacts .pytest_cache
