# One image for every gst stage; the command picks the stage (see docker-compose.yml).
# Stage 1 builds the dashboard into realtime_api/dashboard (package data); `gst api` serves it at /.
FROM node:20-bookworm-slim AS dashboard
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./
RUN npm run build

# Stage 2 fetches Spark's jars (Delta Lake, the Kafka source) from Maven Central, as `make jars` does.
FROM maven:3.9-eclipse-temurin-17 AS jars
COPY streaming_jobs/jvm/pom.xml /jvm/pom.xml
RUN mvn --batch-mode --quiet -f /jvm/pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/jars

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless libjemalloc2 procps \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gamestream gamestream
COPY producers producers
COPY streaming_jobs streaming_jobs
COPY batch_jobs batch_jobs
COPY realtime_api realtime_api
COPY warehouse_sql warehouse_sql
COPY --from=dashboard /src/realtime_api/dashboard realtime_api/dashboard
# editable: Spark's jars default to .jars/ beside the packages (the dbt project and the dashboard
# are package data)
RUN pip install --no-cache-dir -e .
COPY --from=jars /jars .jars/spark
RUN python -m streaming_jobs.jars prune .jars/spark
ENV PYSPARK_PYTHON=python3
CMD ["gst", "--help"]
