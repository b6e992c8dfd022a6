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

# chalice package --stage $(STAGE) --merge-template <generated> build/package, run in a staging copy
# that carries templates/ as chalicelib/templates (chalice ships only app.py, chalicelib/ and vendor/).
# The merge template and .chalice/policy-$(STAGE).json are generated from the PynamoDB models.
package: $(STAMP)
	$(BIN)/python -m infra.package --stage $(STAGE) --out build/package
	$(BIN)/cfn-lint build/package/sam.json

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build .local
