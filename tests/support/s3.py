"""An S3 API on loopback (moto's server, speaking HTTP as S3 does) for reading s3:// locations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gamestream.embedded.ports import free_port


@contextmanager
def s3_server() -> Iterator[str]:
    """The endpoint URL of a fresh, empty S3 API; any credentials are accepted."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def upload_folder(s3: Any, folder: Path, bucket: str, prefix: str = "") -> int:
    """Every file under `folder` as s3://bucket/prefix/<relative path>; how many."""
    s3.create_bucket(Bucket=bucket)
    count = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            s3.put_object(Bucket=bucket, Key=f"{prefix}{path.relative_to(folder).as_posix()}", Body=path.read_bytes())
            count += 1
    return count
