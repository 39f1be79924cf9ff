using System.Net.Http.Json;
using System.Text.Json;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Tests.Engine;

/// <summary>Two processes commit into one PostgreSQL catalog at once: the service (over HTTP) and the engine in this process.</summary>
public class CrossProcessWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Writers_in_two_processes_lose_and_duplicate_nothing()
    {
        const int commitsPerWriter = 100;
        await using var test = await TestLake.CreateAsync(LakeMode.Production);
        await using var service = await ServiceProcess.StartAsync(test);
        var http = service.Client;
        var first = await http.PostAsJsonAsync("/data/ingest", Body("remote", -1), Ct);
        Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync(Ct));
        await using var lake = await Lakehouse.OpenAsync(test.Settings with { WorkDirectory = Path.Combine(test.WorkDirectory, "local") }, Ct);
        var table = (await lake.ReadAsync(SnapshotSelector.Latest, Ct, new(t => t.QualifiedName == "main.job_outcomes"))).Tables.Single();

        await Task.WhenAll(
            Task.Run(async () =>
            {
                for (var i = 0; i < commitsPerWriter; i++)
                {
                    var response = await http.PostAsJsonAsync("/data/ingest", Body("remote", i), Ct);
                    Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
                }
            }, Ct),
            Task.Run(async () =>
            {
                for (var i = 0; i < commitsPerWriter; i++)
                {
                    await using var work = lake.OpenWorkConnection();
                    await lake.AppendAsync(work, table,
                        $"SELECT 'local-{i}' AS job_id, 'local' AS _dp_tenant_id, gen_random_uuid() AS _dp_partition_id, {i} AS _dp_record_index", Ct);
                }
            }, Ct));

        var snapshots = await QueryCatalogAsync(lake, "SELECT snapshot_id FROM ducklake_snapshot ORDER BY 1");
        Assert.Equal(Enumerable.Range(0, snapshots.Count).Select(i => (long)i), snapshots);
        var content = await lake.ReadAsync(SnapshotSelector.Latest, Ct, new(t => t.Id == table.Id));
        Assert.Equal(2 * commitsPerWriter + 1, content.Data[table.Id].RowCount);
        var fileIds = content.Data[table.Id].Files.Select(f => f.Id).ToList();
        Assert.Equal(fileIds.Count, fileIds.Distinct().Count());
        Assert.Equal([(long)(2 * commitsPerWriter + 1)], await QueryCatalogAsync(lake, $"SELECT record_count FROM ducklake_table_stats WHERE table_id = {table.Id}"));
        var reply = await http.GetFromJsonAsync<JsonElement>("/data/query?tenant_id=remote&sql=SELECT%20count(DISTINCT%20job_id)%20FROM%20job_outcomes", Ct);
        Assert.Equal($"[[{commitsPerWriter + 1}]]", reply.GetProperty("rows").GetRawText());
    }

    private static object Body(string tenant, int i) =>
        new { table = "job_outcomes", tenant_id = tenant, job_id = $"j{i}", schema_version = "1", records = new[] { new { job_id = $"{tenant}-{i}" } } };

    private static async Task<List<long>> QueryCatalogAsync(Lakehouse lake, string sql)
    {
        await using var connection = await lake.Catalog.OpenAsync(Ct);
        return await Auraison.DataPlane.Lake.Catalog.DbConnectionExtensions.QueryAsync(connection, null, sql, r => Convert.ToInt64(r.GetValue(0),
            System.Globalization.CultureInfo.InvariantCulture), Ct);
    }
}
