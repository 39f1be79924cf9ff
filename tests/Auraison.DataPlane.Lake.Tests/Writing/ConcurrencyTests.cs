using System.Text.Json;
using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Tests.Writing;

public class ConcurrencyTests
{
    [Fact]
    public async Task Four_writers_with_their_own_connections_lose_and_duplicate_nothing()
    {
        const int writers = 4, commitsPerWriter = 200;
        await using var test = await TestLake.CreateAsync(LakeMode.Production);
        var ct = TestContext.Current.CancellationToken;
        LakeTable table;
        await using (var setup = await Lakehouse.OpenAsync(test.Settings, ct))
            table = await setup.CreateTableAsync("main", "events", "writer INTEGER, seq INTEGER, k INTEGER");

        // Separate Lakehouse instances: separate connection pools and no shared in-process lock, like separate processes.
        await Task.WhenAll(Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            await using var lake = await Lakehouse.OpenAsync(test.Settings with { WorkDirectory = Path.Combine(test.WorkDirectory, $"w{writer}") }, ct);
            for (var seq = 0; seq < commitsPerWriter; seq++)
                await lake.AppendAsync(table, $"SELECT {writer} AS writer, {seq} AS seq, k::INTEGER AS k FROM range({1 + seq % 3}) r(k)");
        }, ct)));

        await using var check = await Lakehouse.OpenAsync(test.Settings, ct);
        var expectedRows = writers * Enumerable.Range(0, commitsPerWriter).Sum(seq => 1 + seq % 3);
        var commits = writers * commitsPerWriter;

        var snapshots = (await check.CatalogRowsAsync("SELECT snapshot_id FROM ducklake_snapshot ORDER BY 1")).Select(r => (long)r[0]!).ToList();
        Assert.Equal(Enumerable.Range(0, commits + 2).Select(i => (long)i), snapshots);
        Assert.Equal([[(long)commits, (long)commits, 0L, (long)commits - 1, (long)commits]], await check.CatalogRowsAsync(
            "SELECT count(*), count(DISTINCT data_file_id), min(data_file_id), max(data_file_id), (SELECT next_file_id FROM ducklake_snapshot ORDER BY snapshot_id DESC LIMIT 1) FROM ducklake_data_file"));
        Assert.Equal([[(long)expectedRows, (long)expectedRows]], await check.CatalogRowsAsync("SELECT record_count, next_row_id FROM ducklake_table_stats"));
        var rowIdRanges = (await check.CatalogRowsAsync("SELECT row_id_start, record_count FROM ducklake_data_file ORDER BY row_id_start"))
            .Select(r => (Start: (long)r[0]!, Count: (long)r[1]!)).ToList();
        Assert.All(rowIdRanges.Zip(rowIdRanges.Skip(1)), pair => Assert.Equal(pair.First.Start + pair.First.Count, pair.Second.Start));

        var summary = JsonDocument.Parse((await check.QueryJsonAsync(
            "SELECT count(*) AS total, count(DISTINCT (writer, seq, k)) AS distinct_rows, count(DISTINCT (writer, seq)) AS commits FROM main.events")).Single()).RootElement;
        Assert.Equal(expectedRows, summary.GetProperty("total").GetInt32());
        Assert.Equal(expectedRows, summary.GetProperty("distinct_rows").GetInt32());
        Assert.Equal(commits, summary.GetProperty("commits").GetInt32());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Concurrent_appends_through_one_lake_all_land_in_their_own_snapshots(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "events", "writer INTEGER, seq INTEGER");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(writer => Task.Run(async () =>
        {
            for (var seq = 0; seq < 10; seq++) await lake.AppendAsync(table, $"SELECT {writer} AS writer, {seq} AS seq");
        }, ct)));

        Assert.Equal(40, await lake.CountAsync("main.events"));
        Assert.Equal([[41L]], await lake.CatalogRowsAsync("SELECT max(snapshot_id) FROM ducklake_snapshot"));
    }
}
