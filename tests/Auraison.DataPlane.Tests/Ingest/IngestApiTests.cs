using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Ingest;

public class IngestApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Ingested_records_come_back_from_query_with_their_types(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);

        var reply = await app.IngestOkAsync("acme", "event_log.object_detections", new object[]
        {
            new { frame = 1, label = "cup", confidence = 0.9, bbox = new { x = 1.0, y = 2.0, w = 3.0, h = 4.0 }, robot_id = "r1", seen_at = "2026-11-27T10:00:00Z" },
            new { frame = 2, label = "person", confidence = 0.5 },
        });

        Assert.Equal(2, reply.GetProperty("row_count").GetInt32());
        Assert.Equal("event_log.object_detections", reply.GetProperty("table").GetString());
        Assert.True(Guid.TryParse(reply.GetProperty("partition_id").GetString(), out _));
        var result = await app.QueryAsync("acme", "SELECT frame, label, confidence, bbox, seen_at, _dp_job_id, _dp_partition_id FROM event_log.object_detections ORDER BY frame");
        Assert.Equal(reply.GetProperty("lake_snapshot_id").GetInt64(), result.GetProperty("lake_snapshot_id").GetInt64());
        Assert.Equal(
            """[[1,"cup",0.9,{"x":1,"y":2,"w":3,"h":4},"2026-11-27T10:00:00Z","job-1","PID"],[2,"person",0.5,null,null,"job-1","PID"]]""".Replace("PID", reply.GetProperty("partition_id").GetString(), StringComparison.Ordinal),
            result.GetProperty("rows").GetRawText());
        Assert.Equal(["BIGINT", "VARCHAR", "DOUBLE", "STRUCT(x DOUBLE, y DOUBLE, w DOUBLE, h DOUBLE)", "TIMESTAMP WITH TIME ZONE", "VARCHAR", "UUID"],
            result.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("type").GetString()));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Types_are_inferred_on_first_write_and_a_new_field_becomes_a_column(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "robots.battery", new object[] { new { robot = "r1", level = 80.5, charging = true, at = "2026-11-27T10:00:00+01:00" } });

        await app.IngestOkAsync("acme", "robots.battery", new object[] { new { robot = "r2", level = 55, temperature_c = 31.5 } });

        var result = await app.QueryAsync("acme", "SELECT robot, level, charging, \"at\", temperature_c FROM robots.battery ORDER BY robot");
        Assert.Equal("""[["r1",80.5,true,"2026-11-27T09:00:00Z",null],["r2",55,null,null,31.5]]""", result.GetProperty("rows").GetRawText());
        Assert.Equal(["VARCHAR", "DOUBLE", "BOOLEAN", "TIMESTAMP WITH TIME ZONE", "DOUBLE"],
            result.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task A_fractional_number_for_an_integer_column_is_refused_and_an_integer_for_a_float_column_is_taken()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await app.IngestOkAsync("acme", "robots.battery", new object[] { new { cycles = 3, level = 80.5 } });

        var fractional = await app.IngestAsync("acme", "robots.battery", new object[] { new { cycles = 3.5 } });
        var integral = await app.IngestAsync("acme", "robots.battery", new object[] { new { level = 55 } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, fractional.StatusCode);
        Assert.Contains("expected BIGINT, got not an integer within int64", await fractional.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, integral.StatusCode);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_retry_with_the_same_idempotency_key_replays_the_reply_and_stores_nothing_twice(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var records = new object[] { new { job_id = "ray-7", status = "ok" } };
        var first = await app.IngestAsync("acme", "job_outcomes", records, idempotencyKey: "ray-7-attempt");
        var footprint = await app.FootprintAsync();

        var retry = await app.IngestAsync("acme", "job_outcomes", records, idempotencyKey: "ray-7-attempt");

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await retry.Content.ReadAsStringAsync(Ct));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(footprint, await app.FootprintAsync());
        Assert.Equal("1", await app.ScalarAsync("acme", "SELECT count(*) FROM job_outcomes"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Concurrent_retries_with_one_idempotency_key_store_the_rows_once(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var records = new object[] { new { job_id = "ray-9", status = "ok" } };
        var footprint = await app.FootprintAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => app.IngestAsync("acme", "job_outcomes", records, idempotencyKey: "ray-9-attempt")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var partitions = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("partition_id").GetString()));
        Assert.Single(partitions.Distinct());
        Assert.Equal("1", await app.ScalarAsync("acme", "SELECT count(*) FROM job_outcomes"));
        Assert.Equal(footprint.Lineage + 1, (await app.FootprintAsync()).Lineage);
    }

    [Fact]
    public async Task Reusing_an_idempotency_key_for_a_different_request_is_a_conflict()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await app.IngestAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } }, idempotencyKey: "k");

        var other = await app.IngestAsync("acme", "job_outcomes", new object[] { new { job_id = "b" } }, idempotencyKey: "k");

        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_same_idempotency_key_of_another_tenant_is_a_different_request()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await app.IngestAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } }, idempotencyKey: "k");

        var other = await app.IngestAsync("globex", "job_outcomes", new object[] { new { job_id = "a" } }, idempotencyKey: "k");

        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        Assert.Equal("1", await app.ScalarAsync("globex", "SELECT count(*) FROM job_outcomes"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Ndjson_and_gzip_bodies_are_ingested(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var lines = string.Join("\n", Enumerable.Range(0, 500).Select(i => $$"""{"trace_id":"t{{i}}","step":{{i}},"text":"step {{i}}"}"""));
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(lines), Ct);
        var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new("application/x-ndjson");
        content.Headers.ContentEncoding.Add("gzip");

        var response = await app.Client.PostAsync("/data/ingest?table=event_log.agent_traces&tenant_id=acme&job_id=j&schema_version=2", content, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("[[500,124750,\"2\"]]",
            (await app.QueryAsync("acme", "SELECT count(*), sum(step), any_value(_dp_schema_version) FROM event_log.agent_traces")).GetProperty("rows").GetRawText());
    }

    public static TheoryData<string, string, int, string> BadBodies => new()
    {
        { "malformed JSON", """{"table": "job_outcomes", "records": [""", 400, "not a valid ingest request" },
        { "records not an array", """{"table":"job_outcomes","tenant_id":"acme","job_id":"j","schema_version":1,"records":{"a":1}}""", 400, "not a valid ingest request" },
        { "no records", """{"table":"job_outcomes","tenant_id":"acme","job_id":"j","schema_version":1,"records":[]}""", 400, "records is empty" },
        { "missing tenant", """{"table":"job_outcomes","job_id":"j","schema_version":1,"records":[{"a":1}]}""", 400, "tenant_id is required" },
        { "missing job", """{"table":"job_outcomes","tenant_id":"acme","schema_version":1,"records":[{"a":1}]}""", 400, "job_id is required" },
        { "missing schema version", """{"table":"job_outcomes","tenant_id":"acme","job_id":"j","records":[{"a":1}]}""", 400, "schema_version is required" },
        { "quoting trick in table", """{"table":"x\"; DROP TABLE y; --","tenant_id":"acme","job_id":"j","schema_version":1,"records":[{"a":1}]}""", 400, "must be lowercase letters" },
        { "three-part table", """{"table":"a.b.c","tenant_id":"acme","job_id":"j","schema_version":1,"records":[{"a":1}]}""", 400, "more than one '.'" },
        { "reserved schema", """{"table":"lineage.ingests","tenant_id":"acme","job_id":"j","schema_version":1,"records":[{"a":1}]}""", 400, "is reserved" },
        { "bad field name", """{"table":"job_outcomes","tenant_id":"acme","job_id":"j","schema_version":1,"records":[{"bad name":1}]}""", 422, "must start with a letter" },
        { "reserved field", """{"table":"job_outcomes","tenant_id":"acme","job_id":"j","schema_version":1,"records":[{"_dp_tenant_id":"other"}]}""", 422, "reserved prefix" },
        { "record not an object", """{"table":"job_outcomes","tenant_id":"acme","job_id":"j","schema_version":1,"records":[{"job_id":"a"},7]}""", 422, "record 1 is a JSON integer" },
        { "type conflict", """{"table":"job_outcomes","tenant_id":"acme","job_id":"j","schema_version":1,"records":[{"job_id":"a"},{"status":5}]}""", 422, "record 1 field 'status': expected VARCHAR, got a JSON integer" },
        { "conflict inside request", """{"table":"job_outcomes","tenant_id":"acme","job_id":"j","schema_version":1,"records":[{"gpus":2},{"gpus":"two"}]}""", 422, "record 1 field 'gpus' is VARCHAR, but record 0 made it BIGINT" },
        { "struct field unknown", """{"table":"event_log.object_detections","tenant_id":"acme","job_id":"j","schema_version":1,"records":[{"bbox":{"x":1,"z":2}}]}""", 422, "z is not a field" },
        { "bad on_error", """{"table":"job_outcomes","tenant_id":"acme","job_id":"j","schema_version":1,"records":[{"a":1}]}?on_error=maybe""", 400, "on_error" },
    };

    [Theory, MemberData(nameof(BadBodies))]
    public async Task A_bad_body_gets_a_problem_naming_what_is_wrong_and_stores_nothing(string _, string body, int status, string detail)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        var footprint = await app.FootprintAsync();
        var (json, query) = body.Split('?') is [var b, var q] ? (b, "?" + q) : (body, "");

        var response = await app.Client.PostAsync("/data/ingest" + query, new StringContent(json, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", problem.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(footprint, await app.FootprintAsync());
    }

    [Fact]
    public async Task A_type_conflict_names_record_field_and_types_in_the_errors_list()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var response = await app.IngestAsync("acme", "job_outcomes", new object[] { new { job_id = "ok" }, new { job_id = "x", started_at = "yesterday" } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").EnumerateArray().Single();
        Assert.Equal(1, error.GetProperty("record_index").GetInt32());
        Assert.Equal("started_at", error.GetProperty("field").GetString());
        Assert.Equal("TIMESTAMP WITH TIME ZONE", error.GetProperty("expected").GetString());
        Assert.Equal("string", error.GetProperty("actual").GetString());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_stores_nothing()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, new Dictionary<string, string?> { ["DataPlane:Ingest:MaxBodyBytes"] = "2000" });
        var footprint = await app.FootprintAsync();

        var response = await app.IngestAsync("acme", "job_outcomes", Enumerable.Range(0, 100).Select(i => new { job_id = $"job-{i}", summary = new string('x', 50) }));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(footprint, await app.FootprintAsync());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Quarantine_mode_stores_good_records_and_quarantines_bad_ones_with_the_error(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);

        var response = await app.IngestAsync("acme", "job_outcomes",
            new object[] { new { job_id = "good" }, new { job_id = 42 }, new { job_id = "also good" } }, onError: "quarantine");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var reply = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(2, reply.GetProperty("row_count").GetInt32());
        Assert.Equal(1, reply.GetProperty("quarantined_count").GetInt32());
        Assert.Equal("2", await app.ScalarAsync("acme", "SELECT count(*) FROM job_outcomes"));
        var quarantined = await app.QueryAsync("acme", "SELECT record_index, field, error, original FROM quarantine.main__job_outcomes");
        Assert.Equal("""[[1,"job_id","record 1 field 'job_id': expected VARCHAR, got a JSON integer",{"job_id":42}]]""", quarantined.GetProperty("rows").GetRawText());
    }

    [Fact]
    public async Task A_declared_table_that_rejects_unknown_fields_refuses_them()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        var declared = await app.Client.PutAsJsonAsync("/data/tables/sensors.readings",
            new { columns = new[] { new { name = "sensor", type = "VARCHAR" }, new { name = "value", type = "DOUBLE" } }, unknown_fields = "reject" }, Ct);
        Assert.Equal(HttpStatusCode.Created, declared.StatusCode);

        var response = await app.IngestAsync("acme", "sensors.readings", new object[] { new { sensor = "s1", value = 1.5, unit = "C" } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("'unit' is not a column", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Many_concurrent_small_ingests_all_land_once_in_far_fewer_commits(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var before = await app.FootprintAsync();
        const int requests = 200;

        var responses = await Task.WhenAll(Enumerable.Range(0, requests).Select(i =>
            app.IngestAsync($"tenant-{i % 2}", "event_log.agent_traces", new object[] { new { trace_id = $"t{i}", step = i } })));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal("[[100,100]]", (await app.QueryAsync("tenant-0", "SELECT count(*), count(DISTINCT trace_id) FROM event_log.agent_traces")).GetProperty("rows").GetRawText());
        Assert.Equal("[[100,100]]", (await app.QueryAsync("tenant-1", "SELECT count(*), count(DISTINCT trace_id) FROM event_log.agent_traces")).GetProperty("rows").GetRawText());
        var after = await app.FootprintAsync();
        Assert.Equal(requests, after.Lineage - before.Lineage);
        Assert.True(after.Snapshots - before.Snapshots < requests / 4, $"{after.Snapshots - before.Snapshots} snapshots for {requests} requests");
        Assert.True(after.Files - before.Files < requests / 2, $"{after.Files - before.Files} data files for {requests} requests");
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Each_request_leaves_a_queryable_lineage_record(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        var reply = await app.IngestOkAsync("acme", "experiments", new object[] { new { id = "e1" }, new { id = "e2" } });

        var lineage = await app.QueryAsync("acme", "SELECT partition_id, table_name, job_id, row_count, lake_snapshot_id, json_array_length(data_files) FROM lineage.ingests");

        Assert.Equal(
            $"""[["{reply.GetProperty("partition_id").GetString()}","main.experiments","job-1",2,{reply.GetProperty("lake_snapshot_id").GetInt64()},1]]""",
            lineage.GetProperty("rows").GetRawText());
    }
}
