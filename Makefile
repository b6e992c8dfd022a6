# Every target builds its own virtualenv from the pinned requirements files; nothing relies on
# what happens to be installed on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
AWS_PORT ?= 4566
STAGE ?= dev

.PHONY: test lint run package bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest -q -n 2 tests

run: $(STAMP)
	PORT=$(PORT) AWS_PORT=$(AWS_PORT) $(BIN)/python -m infra.local

# chalice ships only app.py, chalicelib/ and vendor/: copy the built-in templates into
# chalicelib/ for the build (ignored by git) so the zip carries them.
package: $(STAMP)
	rm -rf chalicelib/templates build/package
	cp -r templates chalicelib/templates
	$(BIN)/chalice package --stage $(STAGE) --merge-template infra/resources.json build/package; \
	  status=$$?; rm -rf chalicelib/templates; exit $$status

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build .local
