"""The data plane over HTTP, with the standard library alone (pyarrow and pandas are used when installed)."""
from __future__ import annotations

import datetime as _dt
import decimal
import gzip
import hashlib
import io
import json
import os
import random
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, BinaryIO, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from .errors import DataPlaneError, Unavailable, error_for

try:  # optional: columnar bodies and DataFrames
    import pyarrow as _pa
    import pyarrow.parquet as _pq
except ImportError:  # pragma: no cover - depends on the machine
    _pa = None
    _pq = None

try:
    import pandas as _pd
except ImportError:  # pragma: no cover - depends on the machine
    _pd = None

_TRANSIENT = {429, 503}
_SPOOL_IN_MEMORY = 8 * 1024 * 1024


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (uuid.UUID, bytes)):
        return value.hex() if isinstance(value, bytes) else str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):  # numpy arrays
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class QueryResult(list):
    """Rows of a query as dicts (a list), with the columns, the lake snapshot read, and whether the row cap cut it."""

    def __init__(self, reply: Dict[str, Any]):
        self.columns: List[Dict[str, str]] = reply["columns"]
        names = [c["name"] for c in self.columns]
        super().__init__(dict(zip(names, row)) for row in reply["rows"])
        self.lake_snapshot_id: int = reply["lake_snapshot_id"]
        self.truncated: bool = reply["truncated"]

    def to_dataframe(self):
        if _pd is None:
            raise RuntimeError("pandas is not installed")
        return _pd.DataFrame(list(self), columns=[c["name"] for c in self.columns])


class DataPlane:
    """A client of one data plane service.

    Every write is retried on 503/429 (after Retry-After) and on lost connections with one Idempotency-Key per logical
    write, so a retry never stores rows twice. Errors raise the typed exceptions of ``auraison_dataplane.errors``.
    """

    def __init__(self, url: str, api_key: Optional[str] = None, *, timeout: float = 120.0, retries: int = 6,
                 backoff: float = 0.25, max_backoff: float = 8.0):
        self.url = url.rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("DATAPLANE_API_KEY")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff

    # -- writes -----------------------------------------------------------------------------------------------------

    def ingest(self, table: str, records: Any, *, tenant_id: str, job_id: str, schema_version: str = "1",
               on_error: Optional[str] = None, idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """Stores records (dicts, a pandas DataFrame or a pyarrow Table) in a table; returns the ingest reply.

        A DataFrame or Table goes as Parquet when pyarrow is installed, anything else as gzip-compressed NDJSON.
        """
        params = {"table": table, "tenant_id": tenant_id, "job_id": job_id, "schema_version": schema_version}
        if on_error:
            params["on_error"] = on_error
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        body, content_type, encoding = self._records_body(records)
        headers["Content-Type"] = content_type
        if encoding:
            headers["Content-Encoding"] = encoding
        with body:
            return self._json("POST", "/data/ingest", params=params, body=body, headers=headers)

    def snapshot(self, *, tenant_id: str, intent_id: str, timestamp: Union[str, _dt.datetime], agents_active: Any = (),
                 user_plane: Any = None, causal_chain: Any = (), snapshot_id: Optional[str] = None) -> Dict[str, Any]:
        """Checkpoints a world-model snapshot; returns its snapshot_id and the lake_snapshot_id it pins."""
        document = {"tenant_id": tenant_id, "snapshot_id": snapshot_id or str(uuid.uuid4()), "intent_id": intent_id,
                    "timestamp": timestamp, "agents_active": list(agents_active), "user_plane": user_plane or {},
                    "causal_chain": list(causal_chain)}
        return self._json("POST", "/data/snapshots", body=document)

    def upload_object(self, key: str, data: Union[bytes, str, os.PathLike, BinaryIO], *, tenant_id: str,
                      content_type: str = "application/octet-stream", metadata: Optional[Mapping[str, str]] = None,
                      job_id: Optional[str] = None) -> Dict[str, Any]:
        """Stores a file (bytes, a path or a binary file) under a key, with its SHA-256 for the service to verify."""
        stream = _open_binary(data)
        with stream:
            start, digest = stream.tell(), hashlib.sha256()
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
            stream.seek(start)
            headers = {"Content-Type": content_type, "x-checksum-sha256": digest.hexdigest()}
            for name, value in (metadata or {}).items():
                headers[f"x-meta-{name}"] = str(value)
            params = {"tenant_id": tenant_id}
            if job_id:
                params["job_id"] = job_id
            return self._json("PUT", "/data/objects/" + _quote_key(key), params=params, body=stream, headers=headers)

    def get_object(self, key: str, *, tenant_id: str) -> bytes:
        return self._call("GET", "/data/objects/" + _quote_key(key), params={"tenant_id": tenant_id})[2]

    def register_files(self, table: str, files: List[str], *, tenant_id: str, job_id: str) -> Dict[str, Any]:
        """Registers Parquet files stored as the tenant's objects (their keys) into a table, in one snapshot."""
        return self._json("POST", f"/data/tables/{table}/files", body={"tenant_id": tenant_id, "job_id": job_id, "files": files})

    def export_dataset(self, request: Dict[str, Any], *, wait: bool = True, poll: float = 0.5, timeout: float = 3600.0) -> Dict[str, Any]:
        """Starts a dataset export (POST /data/datasets); with ``wait``, polls until it succeeded or failed."""
        status = self._json("POST", "/data/datasets", body=request)
        deadline = time.monotonic() + timeout
        while wait and status["status"] == "running" and time.monotonic() < deadline:
            time.sleep(poll)
            status = self._json("GET", f"/data/datasets/{status['dataset_id']}", params={"tenant_id": request["tenant_id"]})
        return status

    # -- reads ------------------------------------------------------------------------------------------------------

    def query(self, sql: str, *, tenant_id: str, as_of: Optional[str] = None, lake_snapshot_id: Optional[int] = None,
              as_of_snapshot: Optional[str] = None, max_rows: Optional[int] = None, dataframe: bool = False):
        """Runs one read-only SQL statement over the tenant's tables; rows as dicts (or a DataFrame)."""
        body = {"sql": sql, "tenant_id": tenant_id, "as_of": as_of, "lake_snapshot_id": lake_snapshot_id,
                "as_of_snapshot": as_of_snapshot, "max_rows": max_rows}
        result = QueryResult(self._json("POST", "/data/query", body={k: v for k, v in body.items() if v is not None}))
        return result.to_dataframe() if dataframe else result

    def retrieve(self, query: str, *, tenant_id: str, top_k: int = 10, mode: Optional[str] = None, table: Optional[str] = None,
                 **metadata: str) -> List[Dict[str, Any]]:
        """Semantic (or keyword/hybrid) search over the tenant's retrievable rows; ``meta_<field>=value`` filters."""
        params = {"query": query, "tenant_id": tenant_id, "top_k": top_k, "mode": mode, "table": table}
        params.update({"meta." + name[len("meta_"):]: value for name, value in metadata.items() if name.startswith("meta_")})
        return self._json("GET", "/data/retrieve", params={k: v for k, v in params.items() if v is not None})

    def feature_view(self, view: str, *, tenant_id: str, source: str, entity: str, timestamp: str, features: List[str],
                     ttl_seconds: Optional[int] = None) -> Dict[str, Any]:
        """Declares (or replaces) a feature view: which columns of a table are features of which entity, as of which time."""
        body = {"tenant_id": tenant_id, "source": source, "entity": entity, "timestamp": timestamp, "features": features, "ttl_seconds": ttl_seconds}
        return self._json("PUT", f"/data/features/{view}", body={k: v for k, v in body.items() if v is not None})

    def materialize_features(self, view: str, *, tenant_id: str) -> Dict[str, Any]:
        """Refreshes the view's online values now (the service also does it periodically)."""
        return self._json("POST", f"/data/features/{view}/materialize", params={"tenant_id": tenant_id}, body={})

    def historical_features(self, view: str, rows: List[Dict[str, Any]], *, tenant_id: str) -> List[Dict[str, Any]]:
        """Each row (entity, timestamp) with the view's features as known at its timestamp (no later value leaks in)."""
        return self._json("POST", "/data/features/historical", body={"tenant_id": tenant_id, "view": view, "rows": rows})["rows"]

    def online_features(self, view: str, entity: str, *, tenant_id: str) -> Dict[str, Any]:
        """An entity's latest feature values (``features`` is None when there are none, or they passed the TTL)."""
        return self._json("GET", "/data/features/online", params={"tenant_id": tenant_id, "view": view, "entity": entity})

    def retrieval_status(self, *, tenant_id: str) -> Dict[str, Any]:
        """How far the indexer is behind for the tenant (pending_requests, oldest_pending_seconds, indexed_documents)."""
        return self._json("GET", "/data/retrieve/status", params={"tenant_id": tenant_id})

    def snapshots(self, *, tenant_id: str, limit: int = 50) -> List[Dict[str, Any]]:
        """World-model checkpoints, newest first."""
        return self._json("GET", "/data/snapshots", params={"tenant_id": tenant_id, "limit": limit})

    def tables(self, *, tenant_id: str) -> List[Dict[str, Any]]:
        return self._json("GET", "/data/tables", params={"tenant_id": tenant_id})

    # -- transport --------------------------------------------------------------------------------------------------

    def _records_body(self, records: Any) -> Tuple[BinaryIO, str, Optional[str]]:
        if _pa is not None and _pd is not None and isinstance(records, _pd.DataFrame):
            records = _pa.Table.from_pandas(records, preserve_index=False)
        if _pa is not None and isinstance(records, _pa.Table):
            buffer = io.BytesIO()
            _pq.write_table(records, buffer)
            buffer.seek(0)
            return buffer, "application/vnd.apache.parquet", None
        if _pd is not None and isinstance(records, _pd.DataFrame):
            records = records.to_dict("records")
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)
        with gzip.GzipFile(fileobj=spool, mode="wb", mtime=0) as packed:
            for record in records:
                packed.write(json.dumps(record, default=_json_default, separators=(",", ":")).encode())
                packed.write(b"\n")
        spool.seek(0)
        return spool, "application/x-ndjson", "gzip"

    def _json(self, method: str, path: str, *, params: Optional[Dict[str, Any]] = None, body: Any = None,
              headers: Optional[Dict[str, str]] = None) -> Any:
        if body is not None and not hasattr(body, "read"):
            body = io.BytesIO(json.dumps(body, default=_json_default).encode())
            headers = {**(headers or {}), "Content-Type": "application/json"}
        content = self._call(method, path, params=params, body=body, headers=headers)[2]
        return json.loads(content) if content else None

    def _call(self, method: str, path: str, *, params: Optional[Dict[str, Any]] = None, body: Optional[BinaryIO] = None,
              headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], bytes]:
        url = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        headers = dict(headers or {})
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        size = _remaining(body)
        if size is not None:
            headers["Content-Length"] = str(size)
        start = body.tell() if body is not None else 0
        for attempt in range(self.retries + 1):
            if body is not None:
                body.seek(start)
            request = urllib.request.Request(url, data=body, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.status, dict(response.headers), response.read()
            except urllib.error.HTTPError as failure:
                content = failure.read()
                problem = _problem(failure.code, content)
                if failure.code not in _TRANSIENT or attempt == self.retries:
                    raise error_for(failure.code, problem) from None
                self._wait(attempt, failure.headers.get("Retry-After"))
            except (urllib.error.URLError, ConnectionError, socket.timeout) as failure:
                if attempt == self.retries:
                    raise Unavailable(0, "Unreachable", f"{method} {path}: {failure}") from failure
                self._wait(attempt, None)
        raise DataPlaneError(0, "Unreachable", f"{method} {path}")  # pragma: no cover - the loop returns or raises

    def _wait(self, attempt: int, retry_after: Optional[str]) -> None:
        delay = min(self.max_backoff, self.backoff * (2 ** attempt)) * (0.5 + random.random() / 2)
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        time.sleep(delay)


def _problem(status: int, content: bytes) -> Dict[str, Any]:
    try:
        problem = json.loads(content)
        if isinstance(problem, dict):
            return problem
    except ValueError:
        pass
    return {"status": status, "title": "Error", "detail": content.decode(errors="replace")[:500]}


def _open_binary(data: Union[bytes, str, os.PathLike, BinaryIO]) -> BinaryIO:
    if isinstance(data, (bytes, bytearray)):
        return io.BytesIO(data)
    if isinstance(data, (str, os.PathLike)):
        return open(data, "rb")
    return data


def _remaining(body: Optional[BinaryIO]) -> Optional[int]:
    if body is None:
        return None
    position = body.tell()
    end = body.seek(0, io.SEEK_END)
    body.seek(position)
    return end - position


def _quote_key(key: str) -> str:
    return "/".join(urllib.parse.quote(segment, safe="") for segment in key.split("/"))
