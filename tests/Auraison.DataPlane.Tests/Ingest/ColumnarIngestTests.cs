using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Tests.Ingest;

/// <summary>Parquet bodies (what a Ray worker holding a pyarrow table or a pandas frame sends): the JSON rules, column by column.</summary>
public class ColumnarIngestTests
{
    private static CancellationToken Ct => DataPlaneApp.Ct;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_parquet_body_is_stored_with_its_types_and_every_rows_position(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var body = await ParquetAsync(app, """
            SELECT i AS frame, ['cup', 'person'][1 + i % 2] AS label, i / 4 AS confidence,
                   TIMESTAMPTZ '2026-11-27 10:00:00+00' + to_seconds(i) AS seen_at, {'x': i, 'y': -i} AS bbox, ['t' || i] AS tags
            FROM range(2000) r(i)
            """);

        var reply = await PostAsync(app, "event_log.detections", body);

        Assert.Equal(2000, reply.GetProperty("row_count").GetInt64());
        Assert.Equal("""[[1999,"person",499.75,"2026-11-27T10:33:19Z",{"x":1999,"y":-1999},["t1999"],1999]]""",
            (await app.QueryAsync("acme", "SELECT frame, label, confidence, seen_at, bbox, tags, _dp_record_index FROM event_log.detections WHERE frame = 1999"))
            .GetProperty("rows").GetRawText());
        var types = await app.Client.GetFromJsonAsync<JsonElement>("/data/tables/event_log.detections?tenant_id=acme", Ct);
        Assert.Contains(types.GetProperty("columns").EnumerateArray(), c => c.GetProperty("name").GetString() == "bbox"
            && c.GetProperty("type").GetString() == "STRUCT(x BIGINT, y BIGINT)");
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Columns_that_fit_are_cast_and_new_ones_become_columns(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "fleet.battery", new object[] { new { robot_id = "r0", level = 0.5, cycles = 3L } });
        // INTEGER cycles fit BIGINT, INTEGER level fits DOUBLE; temp_c is new.
        var body = await ParquetAsync(app, "SELECT 'r1' AS robot_id, 1::INTEGER AS level, 7::INTEGER AS cycles, 21.5::FLOAT AS temp_c");

        await PostAsync(app, "fleet.battery", body);

        Assert.Equal("""[["r0",0.5,3,null],["r1",1,7,21.5]]""",
            (await app.QueryAsync("acme", "SELECT robot_id, level, cycles, temp_c FROM fleet.battery ORDER BY robot_id")).GetProperty("rows").GetRawText());
    }

    [Fact]
    public async Task A_column_of_another_kind_is_422_naming_it_and_nothing_is_stored()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "j0" } });
        var body = await ParquetAsync(app, "SELECT 'j1' AS job_id, 42 AS status");

        var response = await SendAsync(app, "job_outcomes", body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors")[0];
        Assert.Equal("status", error.GetProperty("field").GetString());
        Assert.Equal("1", await app.ScalarAsync("acme", "SELECT count(*) FROM job_outcomes"));
    }

    [Fact]
    public async Task A_value_outside_a_narrower_column_is_422_naming_its_row()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        var declared = await app.Client.PutAsJsonAsync("/data/tables/main.counters",
            new { columns = new[] { new { name = "name", type = "VARCHAR" }, new { name = "hits", type = "INTEGER" } } }, Ct);
        Assert.True(declared.IsSuccessStatusCode);
        var body = await ParquetAsync(app, "SELECT 'c' || i AS name, CASE WHEN i = 5 THEN 1099511627776 ELSE i END AS hits FROM range(10) r(i)");

        var response = await SendAsync(app, "main.counters", body);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors")[0];
        Assert.Equal(5, error.GetProperty("record_index").GetInt32());
        Assert.Equal("hits", error.GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_body_that_is_not_parquet_is_400()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var response = await SendAsync(app, "job_outcomes", "not parquet at all"u8.ToArray());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Parquet", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> PostAsync(DataPlaneApp app, string table, byte[] body)
    {
        var response = await SendAsync(app, table, body);
        var reply = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {reply}");
        return reply;
    }

    private static Task<HttpResponseMessage> SendAsync(DataPlaneApp app, string table, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.parquet");
        return app.Client.PostAsync($"/data/ingest?table={table}&tenant_id=acme&job_id=ray-7&schema_version=1", content, Ct);
    }

    /// <summary>A Parquet file of the query's rows, as a columnar client would send it.</summary>
    private static async Task<byte[]> ParquetAsync(DataPlaneApp app, string query)
    {
        var path = Path.Combine(app.Lake.WorkDirectory, $"body-{Guid.NewGuid():N}.parquet");
        await using (var duck = new DuckDBConnection("Data Source=:memory:"))
        {
            await duck.OpenAsync(Ct);
            await using var command = duck.CreateCommand();
            command.CommandText = $"SET TimeZone = 'UTC'; COPY ({query}) TO '{path}' (FORMAT parquet)";
            await command.ExecuteNonQueryAsync(Ct);
        }
        return await File.ReadAllBytesAsync(path, Ct);
    }
}
