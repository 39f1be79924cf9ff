using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Auraison.DataPlane.Tests.Objects;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Tests.Tables;

public class FileRegistrationTests
{
    /// <summary>
    /// A Parquet file as a worker writes it (DuckDB here, pyarrow on a Ray node): the bytes of <c>COPY (select) TO</c>,
    /// with more COPY <paramref name="options"/> when given.
    /// </summary>
    public static async Task<byte[]> ParquetAsync(string select, string? options = null)
    {
        var path = Path.Combine(Path.GetTempPath(), $"worker-{Guid.NewGuid():N}.parquet");
        await using (var duck = new DuckDBConnection("Data Source=:memory:"))
        {
            await duck.OpenAsync(DataPlaneApp.Ct);
            await using var command = duck.CreateCommand();
            command.CommandText = $"COPY ({select}) TO '{path}' (FORMAT parquet{(options is null ? "" : ", " + options)})";
            await command.ExecuteNonQueryAsync(DataPlaneApp.Ct);
        }
        try
        {
            return await File.ReadAllBytesAsync(path, DataPlaneApp.Ct);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static Task<HttpResponseMessage> RegisterAsync(HttpClient client, string table, string tenant, params string[] files) =>
        client.PostAsJsonAsync($"/data/tables/{table}/files", new { tenant_id = tenant, job_id = "ray-slam-7", files }, DataPlaneApp.Ct);

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Registered_parquet_files_are_queryable_at_once_in_one_snapshot_with_their_lineage(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.Client.PutOkAsync("acme", "outputs/poses-0.parquet", await ParquetAsync("SELECT i AS frame, i * 0.5 AS x FROM range(100) t(i)"));
        await app.Client.PutOkAsync("acme", "outputs/poses-1.parquet", await ParquetAsync("SELECT 100 + i AS frame, i * 0.5 AS x, 'r1' AS robot_id FROM range(50) t(i)"));

        var response = await RegisterAsync(app.Client, "slam.poses", "acme", "outputs/poses-0.parquet", "outputs/poses-1.parquet");
        var reply = await response.Content.ReadFromJsonAsync<JsonElement>(DataPlaneApp.Ct);

        Assert.True(response.StatusCode == HttpStatusCode.Created, reply.ToString());
        Assert.Equal(150, reply.GetProperty("row_count").GetInt64());
        Assert.Equal("[[150,149,50,1]]", (await app.QueryAsync("acme",
            "SELECT count(*), max(frame), count(robot_id), count(DISTINCT _dp_job_id) FROM slam.poses WHERE _dp_job_id = 'ray-slam-7'")).GetProperty("rows").GetRawText());
        Assert.Equal("0", await app.ScalarAsync("globex", "SELECT count(*) FROM information_schema.tables WHERE table_name = 'poses'"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Registering_the_same_files_again_is_a_conflict_and_stores_their_rows_once(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.Client.PutOkAsync("acme", "outputs/d.parquet", await ParquetAsync("SELECT i AS frame FROM range(10) t(i)"));
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(app.Client, "detections", "acme", "outputs/d.parquet")).StatusCode);

        var again = await RegisterAsync(app.Client, "detections", "acme", "outputs/d.parquet");

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("10", await app.ScalarAsync("acme", "SELECT count(*) FROM detections"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_file_outside_the_tenants_objects_is_refused(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.Client.PutOkAsync("globex", "outputs/theirs.parquet", await ParquetAsync("SELECT 1 AS frame"));
        var theirs = (await app.Client.GetFromJsonAsync<JsonElement>("/data/objects?tenant_id=globex", DataPlaneApp.Ct)).GetProperty("objects")[0];
        var lake = await app.LakehouseAsync();
        var theirPath = (await app.QueryAsync("globex", "SELECT path FROM objects.registry")).GetProperty("rows")[0][0].GetString()!;

        var byPath = await RegisterAsync(app.Client, "stolen", "acme", theirPath);
        var byKey = await RegisterAsync(app.Client, "stolen", "acme", theirs.GetProperty("key").GetString()!);
        var elsewhere = await RegisterAsync(app.Client, "stolen", "acme", lake.DataPath + "main/job_outcomes/x.parquet");

        Assert.Equal(HttpStatusCode.Forbidden, byPath.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, byKey.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
        Assert.Equal("application/problem+json", byPath.Content.Headers.ContentType?.MediaType);
        Assert.Equal("0", await app.ScalarAsync("acme", "SELECT count(*) FROM information_schema.tables WHERE table_name = 'stolen'"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_file_whose_columns_do_not_fit_the_table_is_refused_and_stores_nothing(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "detections", new object[] { new { frame = 1 } });
        await app.Client.PutOkAsync("acme", "outputs/bad.parquet", await ParquetAsync("SELECT 'not a number' AS frame"));
        var before = await app.FootprintAsync();

        var response = await RegisterAsync(app.Client, "detections", "acme", "outputs/bad.parquet");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(before, await app.FootprintAsync());
    }

    [Fact]
    public async Task A_file_that_is_not_parquet_is_refused()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await app.Client.PutOkAsync("acme", "outputs/notes.txt", "just text"u8.ToArray());

        var response = await RegisterAsync(app.Client, "detections", "acme", "outputs/notes.txt");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }
}
