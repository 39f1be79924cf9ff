"""The client against a running service (scripts/test.sh starts one and sets DATAPLANE_URL)."""
import datetime
import http.server
import threading
import urllib.request
import uuid

import pytest

from auraison_dataplane import BadRequest, DataPlane, NotFound, Unprocessable


def test_ingested_records_come_back_from_a_query_as_dicts(plane, tenant):
    at = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=datetime.timezone.utc)
    reply = plane.ingest("job_outcomes", [{"job_id": "j1", "status": "ok", "started_at": at}, {"job_id": "j2", "status": "failed"}],
                         tenant_id=tenant, job_id="py-1")

    rows = plane.query("SELECT job_id, status, started_at FROM job_outcomes ORDER BY job_id", tenant_id=tenant)

    assert reply["row_count"] == 2
    assert [r["job_id"] for r in rows] == ["j1", "j2"]
    assert rows[0]["started_at"].startswith("2026-11-30T10:00:00")
    assert rows.lake_snapshot_id >= reply["lake_snapshot_id"]


def test_a_large_ingest_streams_as_gzip_ndjson_and_is_counted_once(plane, tenant):
    records = ({"frame": i, "label": f"label-{i % 7}", "confidence": i / 50_000} for i in range(50_000))

    reply = plane.ingest("event_log.object_detections", records, tenant_id=tenant, job_id="py-bulk")

    assert reply["row_count"] == 50_000
    assert plane.query("SELECT count(*) AS n FROM event_log.object_detections", tenant_id=tenant)[0]["n"] == 50_000


class _LosesFirstReply(http.server.BaseHTTPRequestHandler):
    """Forwards to the service, but answers the first write with 503 after the service stored it (a lost reply)."""

    upstream = ""
    keys = []
    lost = 0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).keys.append(self.headers.get("Idempotency-Key"))
        request = urllib.request.Request(self.upstream + self.path, data=body, method="POST",
                                         headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")})
        with urllib.request.urlopen(request) as response:
            content = response.read()
        if type(self).lost == 0:
            type(self).lost += 1
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args):
        pass


def test_a_write_retried_after_a_lost_reply_keeps_its_idempotency_key_and_stores_its_rows_once(base_url, tenant, plane):
    _LosesFirstReply.upstream, _LosesFirstReply.keys, _LosesFirstReply.lost = base_url, [], 0
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LosesFirstReply)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        flaky = DataPlane(f"http://127.0.0.1:{proxy.server_address[1]}", plane.api_key, backoff=0.01)

        reply = flaky.ingest("job_outcomes", [{"job_id": "once"}], tenant_id=tenant, job_id="py-retry")
    finally:
        proxy.shutdown()

    assert len(_LosesFirstReply.keys) == 2 and _LosesFirstReply.keys[0] == _LosesFirstReply.keys[1]
    assert reply["row_count"] == 1
    assert plane.query("SELECT count(*) AS n FROM job_outcomes", tenant_id=tenant)[0]["n"] == 1


def test_errors_are_typed_and_carry_the_problem_details(plane, tenant):
    with pytest.raises(BadRequest) as bad:
        plane.ingest("Not A Table", [{"a": 1}], tenant_id=tenant, job_id="py-bad")
    with pytest.raises(NotFound):
        plane.get_object("missing/key.bin", tenant_id=tenant)
    plane.ingest("fleet.battery", [{"count": 3}], tenant_id=tenant, job_id="py-bad")
    with pytest.raises(Unprocessable) as unfit:
        plane.ingest("fleet.battery", [{"count": 10 ** 19}], tenant_id=tenant, job_id="py-bad")

    assert bad.value.status == 400
    assert "table" in bad.value.problem["detail"]
    assert unfit.value.problem["errors"][0]["field"] == "count"


def test_an_uploaded_object_comes_back_byte_for_byte(plane, tenant):
    payload = bytes(range(256)) * 1000

    stored = plane.upload_object("videos/r1/chunk-0001.mp4", payload, tenant_id=tenant, content_type="video/mp4", metadata={"robot_id": "r1"})

    assert stored["size_bytes"] == len(payload)
    assert plane.get_object("videos/r1/chunk-0001.mp4", tenant_id=tenant) == payload


def test_a_world_model_snapshot_pins_what_a_later_query_replays(plane, tenant):
    plane.ingest("job_outcomes", [{"job_id": "before"}], tenant_id=tenant, job_id="py-snap")
    snapshot = plane.snapshot(tenant_id=tenant, intent_id=str(uuid.uuid4()), timestamp="2026-11-30T10:00:00Z",
                              agents_active=[{"role": "planner", "status": "running", "tool_call_count": 1}])
    plane.ingest("job_outcomes", [{"job_id": "after"}], tenant_id=tenant, job_id="py-snap")

    then = plane.query("SELECT job_id FROM job_outcomes", tenant_id=tenant, as_of_snapshot=snapshot["snapshot_id"])

    assert [r["job_id"] for r in then] == ["before"]


def test_features_come_as_of_each_rows_time_and_latest_online(plane, tenant):
    plane.ingest("event_log.battery", [{"robot_id": "r1", "at": "2026-11-30T10:00:00Z", "level": 0.9},
                                       {"robot_id": "r1", "at": "2026-11-30T12:00:00Z", "level": 0.5}], tenant_id=tenant, job_id="py-f")
    plane.feature_view("battery", tenant_id=tenant, source="event_log.battery", entity="robot_id", timestamp="at", features=["level"])
    plane.materialize_features("battery", tenant_id=tenant)

    then = plane.historical_features("battery", [{"robot_id": "r1", "at": "2026-11-30T11:00:00Z"}], tenant_id=tenant)
    now = plane.online_features("battery", "r1", tenant_id=tenant)

    assert then[0]["level"] == 0.9
    assert now["features"]["level"] == 0.5


def test_retrieval_answers_a_list_of_hits(plane, tenant):
    plane.ingest("job_outcomes", [{"job_id": "r1", "summary": "GPU ran out of memory while training"}], tenant_id=tenant, job_id="py-r")

    hits = plane.retrieve("out of memory", tenant_id=tenant, top_k=3, mode="keyword")

    assert isinstance(hits, list)


def test_a_pyarrow_table_goes_as_parquet(plane, tenant):
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"frame": list(range(1000)), "label": ["cup"] * 1000})

    reply = plane.ingest("event_log.object_detections", table, tenant_id=tenant, job_id="py-arrow")

    assert reply["row_count"] == 1000


def test_a_query_can_answer_a_dataframe(plane, tenant):
    pytest.importorskip("pandas")
    plane.ingest("job_outcomes", [{"job_id": "df"}], tenant_id=tenant, job_id="py-df")

    frame = plane.query("SELECT job_id FROM job_outcomes", tenant_id=tenant, dataframe=True)

    assert list(frame["job_id"]) == ["df"]


def test_the_ray_example_stores_its_video_chunk_and_the_detections_that_name_it(base_url, plane, tenant):
    import importlib.util, pathlib
    spec = importlib.util.spec_from_file_location("ray_task", pathlib.Path(__file__).parent.parent / "examples" / "ray_task.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)

    reply = example.detect(base_url, plane.api_key or "", "ray-test", tenant)

    joined = plane.query("SELECT count(*) AS n FROM event_log.object_detections d JOIN objects.registry o ON o.key = d.video_chunk",
                         tenant_id=tenant)
    assert reply["row_count"] == 12 and joined[0]["n"] == 12
