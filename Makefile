# Two commands on a fresh machine (see README):  make run   |   make test
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test build eval lint

$(STAMP): requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)  ## venv + packages + embedding model (converted once into ~/.cache/qa-news)
	$(PY) -m qa.e5convert
	$(PY) -m qa.dictionary --setup || true

build: setup  ## build or update index/ from seeds/
	$(PY) -m qa build

run: build  ## start the chat page
	$(VENV)/bin/streamlit run app.py --browser.gatherUsageStats false

test: setup  ## the whole offline test suite (browser test runs when Debian chromium is installed)
	$(PY) -m pytest -q

eval: build  ## retrieval and answer quality on bench/questions.jsonl
	$(PY) -m qa eval

lint: $(STAMP)
	$(VENV)/bin/ruff check .
