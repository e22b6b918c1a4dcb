# Counterpoint: `make run` starts the web app on the bundled corpus; `make test` runs the tests.
# Both create .venv and install what is missing first (torch pinned to the CPU wheel first).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False
export ORT_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test index eval bench browser strace clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/pip || $(PY) -m venv --clear $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

index: setup
	$(BIN)/rag index

run: index
	$(BIN)/python app.py

browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) || echo "chromium missing: browser tests will be skipped"; }

# strace: the zero-network test traces every connect; without it that test is skipped
strace:
	@command -v strace >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq strace >/dev/null) || echo "strace missing: the network test will be skipped"; }

test: setup browser strace
	$(BIN)/python -m pytest -q

eval: setup
	$(BIN)/rag eval

bench: setup
	$(BIN)/python eval/bench.py

clean:
	rm -rf .rag
