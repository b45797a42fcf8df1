"""Where logs go: JSON lines in a file (the demo's console stays for a person), the library's too."""

import json
import logging

import structlog

from gamestream.core.logs import configure_logging
from gamestream.core.settings import Settings


def test_a_log_file_gets_every_line_as_json_and_the_console_none(tmp_path, capsys):
    log_file = tmp_path / "logs" / "demo.jsonl"
    configure_logging(Settings(_env_file=None, log_json=False), log_file)
    root = logging.getLogger()
    added, level = root.handlers[-1], root.level
    try:
        structlog.get_logger("t").info("poll_done", records=12)
        logging.getLogger("uvicorn.error").warning("Application startup complete.")
        logging.getLogger("botocore").info("too chatty to keep")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("py4j").exception("callback failed")
    finally:
        root.removeHandler(added)
        root.setLevel(level)
        added.close()
        structlog.reset_defaults()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [(line["event"], line["level"]) for line in lines] == [
        ("poll_done", "info"),
        ("Application startup complete.", "warning"),
        ("callback failed", "error"),
    ]
    assert "ValueError: boom" in lines[2]["exception"]
    assert lines[0]["records"] == 12 and lines[1]["logger"] == "uvicorn.error"
    assert all(line["timestamp"].endswith("Z") for line in lines)
