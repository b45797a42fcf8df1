"""Where imported files come from: a local file or folder, or s3://bucket/prefix (AWS, or the S3
API at GST_AWS_ENDPOINT_URL), read with boto3 clients made as everywhere else (gamestream.core.aws)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from batch_jobs.imports.base import SourceFile
from gamestream.core.aws import aws_client
from gamestream.core.settings import Settings


class NothingToImport(ValueError):
    """The location does not exist, cannot be listed, or holds no file."""


class Files:
    """The files under one location, listed once, read one at a time."""

    def __init__(self, location: str, settings: Settings):
        self.location = location
        self.s3: Any = aws_client(settings, "s3") if location.startswith("s3://") else None

    def find(self) -> list[SourceFile]:
        found = self._list_s3() if self.s3 is not None else self._list_local()
        if not found:
            raise NothingToImport(f"no files under {self.location}")
        return sorted(found, key=lambda f: f.uri)

    def read(self, file: SourceFile) -> bytes:
        if self.s3 is None:
            return Path(file.uri).read_bytes()
        bucket, key = _split(file.uri)
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def _list_local(self) -> list[SourceFile]:
        root = Path(self.location).expanduser()
        if root.is_file():
            return [SourceFile(str(root.resolve()), root.stat().st_size)]
        if not root.is_dir():
            raise NothingToImport(f"no such file or folder: {self.location}")
        return [
            SourceFile(str(path.resolve()), path.stat().st_size)
            for path in root.rglob("*")
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
        ]

    def _list_s3(self) -> list[SourceFile]:
        bucket, prefix = _split(self.location)
        if not bucket:
            raise NothingToImport(f"{self.location}: name a bucket, as s3://bucket/prefix")
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            return [
                SourceFile(f"s3://{bucket}/{item['Key']}", int(item["Size"]))
                for page in pages
                for item in page.get("Contents", [])
                if not item["Key"].endswith("/") and _under(item["Key"], prefix)
            ]
        except ClientError as exc:
            raise NothingToImport(f"cannot list {self.location}: {exc.response['Error'].get('Message', exc)}") from None
        except BotoCoreError as exc:
            raise NothingToImport(f"cannot list {self.location}: {exc}") from None


def _under(key: str, prefix: str) -> bool:
    """Is `key` the object `prefix` names, or inside the folder it names (`2024` is not `2024-old/…`)?"""
    folder = prefix.rstrip("/")
    return not folder or key == folder or key.startswith(folder + "/")


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key
