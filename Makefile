# The two commands a newcomer needs: `make demo` and `make test`. On a fresh Debian machine each
# installs what is missing, once: Debian packages (scripts/system-packages.sh: Java 17, Redis,
# PostgreSQL, Chromium, Node, Maven; as root with apt-get, else it prints the command to run), the
# Python packages into .venv, Spark's and Kafka's JVM libraries from Maven Central into .jars/spark
# and .jars/kafka, kinesalite (the embedded Kinesis) and the dashboard. No server needs to be
# running: the demo and the tests start their own.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# PySpark 3.5 and Delta 3.3.0 (what AWS Glue 5.0 runs), only to check the streaming job's shared
# parts still work there. pyarrow 12 and numpy 1 as on Glue 5.0: PySpark 3.5.4's applyInPandasWithState
# worker breaks on pyarrow 26 (its state offsets arrive as floats).
VENV35 ?= .venv-spark35
SPARK35_JARS := .jars/spark35
# Delta Lake and Spark's Kafka source for the local SparkSession (spark.jars; see streaming_jobs/jars.py)
SPARK_JARS := .jars/spark
SPARK_CLASSES := $(SPARK_JARS)/spark-classes.jsa
# Apache Kafka (KRaft) for the embedded broker with GST_SINK=kafka (gamestream/kafka/pom.xml)
KAFKA_JARS := .jars/kafka
# Two pytest workers (one SparkSession, stack and PostgreSQL each; whole files per worker, the longest
# first): one file's waits (JVM start-up, drill subprocesses) overlap another's work
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

# The embedded Kinesis (kinesalite, pinned in its package-lock.json)
KINESALITE := gamestream/kinesalite/node_modules/.package-lock.json

# The AWS CDK command line for infra/ (`cdk synth`, `cdk deploy`; pinned in its package-lock.json)
CDK_CLI := infra/node_modules/.package-lock.json

# The dashboard's built assets, package data of realtime_api (gst api serves them at /, a wheel carries
# them); rebuilt when its sources change
DASHBOARD := realtime_api/dashboard/index.html
DASHBOARD_SOURCES := frontend/package.json frontend/package-lock.json frontend/index.html frontend/vite.config.ts \
	frontend/tsconfig.json $(shell find frontend/src -type f 2>/dev/null)

.PHONY: demo test install system jars clean

system:
	@scripts/system-packages.sh

$(BIN)/.installed: pyproject.toml | system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(SPARK_JARS)/.installed: streaming_jobs/jvm/pom.xml $(BIN)/.installed | system
	rm -rf $(SPARK_JARS)
	mvn --batch-mode --quiet -f streaming_jobs/jvm/pom.xml dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory=$(abspath $(SPARK_JARS))
	$(BIN)/python -m streaming_jobs.jars prune $(SPARK_JARS)
	touch $@

# the local Spark JVM's class-data archive, built by a short Spark run once the jars are there
# (streaming_jobs/class_archive.py): every later Spark JVM maps its classes instead of loading them
$(SPARK_CLASSES): $(SPARK_JARS)/.installed streaming_jobs/class_archive.py
	PYSPARK_PYTHON=$(abspath $(BIN)/python) $(BIN)/python -m streaming_jobs.class_archive $(SPARK_JARS)

$(KAFKA_JARS)/.installed: gamestream/kafka/pom.xml | system
	rm -rf $(KAFKA_JARS)
	mvn --batch-mode --quiet -f gamestream/kafka/pom.xml dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory=$(abspath $(KAFKA_JARS))
	touch $@

jars: $(SPARK_JARS)/.installed $(SPARK_CLASSES) $(KAFKA_JARS)/.installed

$(KINESALITE): gamestream/kinesalite/package.json gamestream/kinesalite/package-lock.json | system
	cd gamestream/kinesalite && npm ci --no-audit --no-fund --loglevel=error

$(CDK_CLI): infra/package.json infra/package-lock.json | system
	cd infra && npm ci --no-audit --no-fund --loglevel=error

$(DASHBOARD): $(DASHBOARD_SOURCES) | system
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build

install: $(BIN)/.installed $(SPARK_JARS)/.installed $(SPARK_CLASSES) $(KAFKA_JARS)/.installed $(KINESALITE) $(DASHBOARD) $(CDK_CLI)

demo: install
	PYSPARK_PYTHON=$(abspath $(BIN)/python) $(BIN)/gst demo

$(VENV35)/.installed: | system
	$(PYTHON) -m venv $(VENV35)
	$(VENV35)/bin/pip install --quiet --upgrade pip
	$(VENV35)/bin/pip install --quiet "pyspark==3.5.4" "pydantic~=2.13" "pyarrow==12.0.1" "pandas==2.2.2" "numpy<2"
	touch $@

$(SPARK35_JARS)/.installed: streaming_jobs/jvm/glue/pom.xml | system
	rm -rf $(SPARK35_JARS)
	mvn --batch-mode --quiet -f streaming_jobs/jvm/glue/pom.xml dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory=$(abspath $(SPARK35_JARS))
	touch $@

test: install $(VENV35)/.installed $(SPARK35_JARS)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	cd frontend && npm test
	PYSPARK_PYTHON=$(abspath $(BIN)/python) $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(VENV35) .jars .gst .pytest_cache frontend/node_modules realtime_api/dashboard gamestream/kinesalite/node_modules \
		test-artifacts infra/node_modules infra/cdk.out
