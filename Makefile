# The two commands a newcomer needs: `make demo` and `make test`. Each creates .venv and installs
# what it needs on first use (Python 3.11+ and Java 17 must be on the machine).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	PYSPARK_PYTHON=$(abspath $(BIN)/python) $(BIN)/gst demo

test: $(BIN)/.installed
	PYSPARK_PYTHON=$(abspath $(BIN)/python) $(BIN)/pytest

clean:
	rm -rf $(VENV) .gst .pytest_cache
