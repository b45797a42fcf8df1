# The two commands a newcomer needs: `make demo` and `make test`. Each creates .venv, installs
# what it needs and builds the dashboard on first use (Python 3.11+, Java 17 and Node 20.19+ must
# be on the machine; the browser tests also use Debian's chromium, which .ci/run installs).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# PySpark 3.5 (what AWS Glue 5.0 runs), only to check the shared transformations still work there
VENV35 ?= .venv-spark35

# The dashboard's built assets (gst api serves them at /); rebuilt when its sources change
DASHBOARD := frontend/dist/index.html
DASHBOARD_SOURCES := frontend/package.json frontend/package-lock.json frontend/index.html frontend/vite.config.ts \
	frontend/tsconfig.json $(shell find frontend/src -type f 2>/dev/null)

.PHONY: demo test install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(DASHBOARD): $(DASHBOARD_SOURCES)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build

install: $(BIN)/.installed $(DASHBOARD)

demo: $(BIN)/.installed $(DASHBOARD)
	PYSPARK_PYTHON=$(abspath $(BIN)/python) $(BIN)/gst demo

$(VENV35)/.installed:
	$(PYTHON) -m venv $(VENV35)
	$(VENV35)/bin/pip install --quiet --upgrade pip
	$(VENV35)/bin/pip install --quiet "pyspark==3.5.4" "pydantic~=2.13" "pyarrow>=17,<27" "pandas>=2.2,<3" "numpy<2.5"
	touch $@

test: $(BIN)/.installed $(VENV35)/.installed $(DASHBOARD)
	cd frontend && npm test
	PYSPARK_PYTHON=$(abspath $(BIN)/python) $(BIN)/pytest

clean:
	rm -rf $(VENV) $(VENV35) .gst .pytest_cache frontend/node_modules frontend/dist test-artifacts
