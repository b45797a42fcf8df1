"""Test helpers for Kinesis: read a whole stream back, and a fault-injecting HTTP proxy in front of
the emulator (kinesalite cannot fail single PutRecords entries)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from gamestream.core.aws import aws_client
from gamestream.core.settings import Settings
from tests.support.http import ServedInThread


def read_stream(kinesis: Any, stream: str) -> list[dict[str, Any]]:
    """Every record in every shard, oldest first per shard."""
    out = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            out += page["Records"]
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return out


class KinesisFaultProxy(ServedInThread):
    """Forwards to the emulator; fails every `fail_every`-th PutRecords entry once with
    ProvisionedThroughputExceededException (the entry is not forwarded), and lets the calls listed
    in `timeout_calls` land but answers them too late, so the client times out (ambiguous)."""

    def __init__(self, upstream: str, fail_every: int = 0, timeout_calls: tuple[int, ...] = (), late_by: float = 2.0):
        self.upstream, self.fail_every, self.timeout_calls, self.late_by = (
            upstream,
            fail_every,
            set(timeout_calls),
            late_by,
        )
        self.calls: list[tuple[int, int]] = []  # (records, bytes) per PutRecords
        self.failed_entries = 0
        self.ambiguous_records = 0
        self.paused = threading.Event()
        self._failed_before: set[str] = set()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                status, payload, late = proxy._handle(headers, body)
                if late:
                    time.sleep(proxy.late_by)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Handler))

    def _forward(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        response = httpx.post(self.upstream, content=body, headers=headers, timeout=30)
        return response.status_code, response.content

    def _handle(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes, bool]:
        while self.paused.is_set():
            time.sleep(0.01)
        if not headers.get("X-Amz-Target", "").endswith(".PutRecords"):
            status, payload = self._forward(headers, body)
            return status, payload, False
        request = json.loads(body)
        entries = request["Records"]
        with self._lock:
            self.calls.append(
                (len(entries), sum(len(base64.b64decode(e["Data"])) + len(e["PartitionKey"]) for e in entries))
            )
            call_number = len(self.calls)
            failing = set()
            if self.fail_every:
                for i, entry in enumerate(entries):
                    digest = hashlib.sha1(entry["Data"].encode()).hexdigest()
                    if i % self.fail_every == 0 and digest not in self._failed_before:
                        self._failed_before.add(digest)
                        failing.add(i)
            self.failed_entries += len(failing)
            late = call_number in self.timeout_calls
            if late:
                self.ambiguous_records += len(entries) - len(failing)
        kept = [e for i, e in enumerate(entries) if i not in failing]
        upstream_results: list[dict[str, Any]] = []
        if kept:
            status, payload = self._forward(headers, json.dumps({**request, "Records": kept}).encode())
            if status != 200:
                return status, payload, late
            upstream_results = json.loads(payload)["Records"]
        results, it = [], iter(upstream_results)
        for i in range(len(entries)):
            results.append(
                {
                    "ErrorCode": "ProvisionedThroughputExceededException",
                    "ErrorMessage": "Rate exceeded for shard shardId-000000000000",
                }
                if i in failing
                else next(it)
            )
        response = {"FailedRecordCount": sum(1 for r in results if "ErrorCode" in r), "Records": results}
        return 200, json.dumps(response).encode(), late


def put(settings: Settings, payloads: list[bytes] | list[str], keys: list[str] | None = None) -> None:
    """Put raw payloads (bytes or str) into the stream, in order, with PutRecords."""
    kinesis = aws_client(settings, "kinesis")
    payloads = [p if isinstance(p, bytes) else p.encode() for p in payloads]
    for start in range(0, len(payloads), 500):
        chunk = payloads[start : start + 500]
        ks = keys[start : start + 500] if keys else [str(start + i) for i in range(len(chunk))]
        response = kinesis.put_records(
            StreamName=settings.stream_name, Records=[{"Data": d, "PartitionKey": k} for d, k in zip(chunk, ks)]
        )
        assert response["FailedRecordCount"] == 0
