# The two commands a newcomer needs: `make demo` and `make test`. Each creates .venv and installs
# what it needs on first use (Python 3.11+ and Java 17 must be on the machine).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# PySpark 3.5 (what AWS Glue 5.0 runs), only to check the shared transformations still work there
VENV35 ?= .venv-spark35

.PHONY: demo test install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	PYSPARK_PYTHON=$(abspath $(BIN)/python) $(BIN)/gst demo

$(VENV35)/.installed:
	$(PYTHON) -m venv $(VENV35)
	$(VENV35)/bin/pip install --quiet --upgrade pip
	$(VENV35)/bin/pip install --quiet "pyspark==3.5.4" "pydantic~=2.13" "pyarrow>=17,<27" "pandas>=2.2,<3" "numpy<2.5"
	touch $@

test: $(BIN)/.installed $(VENV35)/.installed
	PYSPARK_PYTHON=$(abspath $(BIN)/python) $(BIN)/pytest

clean:
	rm -rf $(VENV) $(VENV35) .gst .pytest_cache
