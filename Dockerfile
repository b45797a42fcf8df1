# One image for every gst stage; the command picks the stage (see docker-compose.yml).
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gamestream gamestream
COPY producers producers
COPY streaming_jobs streaming_jobs
COPY batch_jobs batch_jobs
COPY realtime_api realtime_api
COPY warehouse_sql warehouse_sql
RUN pip install --no-cache-dir .
ENV PYSPARK_PYTHON=python3
CMD ["gst", "--help"]
