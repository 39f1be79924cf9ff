using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Tests.Interop;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Lake.Tests.Writing;

public class InlineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Columns = "frame BIGINT, label VARCHAR, seen_at TIMESTAMPTZ, bbox STRUCT(x DOUBLE, y DOUBLE), tags VARCHAR[], meta JSON, id UUID";

    private const string Rows = """
        SELECT 1 AS frame, 'it''s, {odd}' AS label, TIMESTAMPTZ '2026-11-27 10:00:00+00' AS seen_at, {'x': 0.5, 'y': -1} AS bbox,
               ['a', 'b, c', NULL] AS tags, '{"k": [1, 2]}'::JSON AS meta, '01a23000-0000-7000-8000-000000000001'::UUID AS id
        UNION ALL SELECT 2, NULL, NULL, NULL, [], NULL, NULL
        """;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Inlined_rows_live_in_the_catalog_and_read_back_with_their_types(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        var table = await lake.CreateTableAsync("main", "events", Columns);

        var inlined = await lake.AppendInlinedAsync(table, Rows);

        Assert.Equal(2, inlined.Value);
        Assert.Equal(
            [
                """{"frame":1,"label":"it's, {odd}","seen_at":"2026-11-27 10:00:00+00","bbox":{"x":0.5,"y":-1.0},"tags":["a","b, c",null],"meta":{"k":[1,2]},"id":"01a23000-0000-7000-8000-000000000001"}""",
                """{"frame":2,"label":null,"seen_at":null,"bbox":null,"tags":[],"meta":null,"id":null}""",
            ],
            await lake.QueryJsonAsync("SELECT * FROM main.events ORDER BY frame"));
        Assert.Empty(await lake.CatalogRowsAsync("SELECT * FROM ducklake_data_file"));
        Assert.Equal([[table.Id, $"ducklake_inlined_data_{table.Id}_1", 1L]], await lake.CatalogRowsAsync("SELECT * FROM ducklake_inlined_data_tables"));
        Assert.Equal([[$"inlined_insert:{table.Id}"]], await lake.CatalogRowsAsync("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = $1", inlined.SnapshotId));
        Assert.Equal([[2L, 2L, 0L]], await lake.CatalogRowsAsync("SELECT record_count, next_row_id, file_size_bytes FROM ducklake_table_stats"));
        Assert.Equal([["1", "2"]], await lake.CatalogRowsAsync("SELECT min_value, max_value FROM ducklake_table_column_stats WHERE column_id = 1"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Deleting_inlined_rows_ends_them_and_older_snapshots_still_read_them(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        var table = await lake.CreateTableAsync("main", "events", Columns);
        var inlined = await lake.AppendInlinedAsync(table, Rows);

        var deleted = await lake.DeleteWhereAsync(table, "frame = 1", Ct);

        Assert.Equal(1, deleted.Value);
        Assert.Equal(["""{"frame":2}"""], await lake.QueryJsonAsync("SELECT frame FROM main.events"));
        Assert.Equal(2, await lake.CountAsync("main.events", SnapshotSelector.ById(inlined.SnapshotId)));
        Assert.Equal([[$"inlined_delete:{table.Id}"]], await lake.CatalogRowsAsync("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = $1", deleted.SnapshotId));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_flush_moves_inlined_rows_to_parquet_and_every_snapshot_before_it_reads_the_same(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        var table = await lake.CreateTableAsync("main", "events", Columns, ("label", PartitionTransform.Identity));
        await lake.AppendInlinedAsync(table, Rows);
        await lake.AppendAsync(table, "SELECT 10 + i AS frame, 'parquet' AS label FROM range(3) r(i)");
        await lake.AppendInlinedAsync(table, "SELECT 20 + i AS frame, ['x', 'y'][1 + i % 2] AS label FROM range(4) r(i)");
        await lake.DeleteWhereAsync(table, "frame = 21", Ct);
        var before = await EngineView.CaptureAsync(lake, Ct);

        var report = await lake.FlushInlinedDataAsync(dryRun: false, Ct);

        Assert.Equal(5, report.Bytes);
        var after = await EngineView.CaptureAsync(lake, Ct);
        LakeView.AssertSame(before, after with { Snapshots = after.Snapshots.Take(before.Snapshots.Count).ToList() }, "before the flush", "after it");
        Assert.Equal(before.Snapshots[^1].Tables, after.Snapshots[^1].Tables);
        Assert.Equal([[1L]], await lake.CatalogRowsAsync($"SELECT count(*) FROM ducklake_inlined_data_{table.Id}_1"));
        Assert.All(await lake.CatalogRowsAsync("SELECT partial_max FROM ducklake_data_file WHERE begin_snapshot < (SELECT max(snapshot_id) FROM ducklake_snapshot) AND record_count <> 3"),
            row => Assert.NotNull(row[0]));
    }
}
