"""Structured logs (structlog): JSON lines by default, readable console lines when asked, or JSON lines
in a file (the demo keeps the console for a person)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import structlog

from gamestream.core.settings import Settings

TIMESTAMP = structlog.processors.TimeStamper(fmt="iso", utc=True)


def configure_logging(settings: Settings, log_file: Path | None = None) -> None:
    """Logs to stderr as the settings say; with `log_file`, every line (the standard library's too) goes
    there as JSON instead."""
    level = getattr(logging, settings.log_level)
    for noisy in ("botocore", "urllib3", "py4j", "httpx", "httpcore", "kafka"):  # httpx logs URLs with keys
        logging.getLogger(noisy).setLevel(logging.WARNING)
    renderer: Any
    if log_file is None:
        logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")
        renderer = structlog.processors.JSONRenderer() if settings.log_json else structlog.dev.ConsoleRenderer()
        factory: Any = structlog.PrintLoggerFactory(sys.stderr)
    else:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        out = log_file.open("a", encoding="utf-8", buffering=1)  # line-buffered: a tail -f sees each line
        handler = logging.StreamHandler(out)
        handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(),
                ],
                foreign_pre_chain=[structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name, TIMESTAMP],
            )
        )
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(level)
        renderer = structlog.processors.JSONRenderer()
        factory = structlog.WriteLoggerFactory(out)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            TIMESTAMP,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=factory,
        cache_logger_on_first_use=False,
    )
