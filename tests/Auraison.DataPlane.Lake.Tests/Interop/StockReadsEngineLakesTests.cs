using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Lake.Tests.Interop;

/// <summary>
/// Lakes this engine writes are lakes the stock DuckDB + ducklake extension reads: the same snapshots with the same
/// changes, and at every snapshot the same tables with exactly the same rows.
/// </summary>
public class StockReadsEngineLakesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Nested_types_evolution_and_deletes_read_the_same_at_every_snapshot(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var test = await TestLake.CreateAsync(mode);
        var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        var table = await lake.CreateTableAsync("event_log", "detections",
            "frame BIGINT, label VARCHAR, confidence DOUBLE, ok BOOLEAN, seen_at TIMESTAMPTZ, bbox STRUCT(x INTEGER, y INTEGER), tags VARCHAR[], " +
            "track STRUCT(id VARCHAR, points STRUCT(x DOUBLE, y DOUBLE)[])");
        await lake.AppendAsync(table, """
            SELECT i AS frame, ['person', 'cup', 'robot'][1 + i % 3] AS label, i / 1000 AS confidence, i % 2 = 0 AS ok,
                   TIMESTAMPTZ '2026-11-27 10:00:00+00' + to_seconds(i) AS seen_at, {'x': i, 'y': 2 * i} AS bbox, ['a', 'b' || i] AS tags,
                   {'id': 't' || i, 'points': [{'x': i, 'y': -i}, {'x': 0.5, 'y': 0.25}]} AS track
            FROM range(100) r(i)
            """);
        await lake.AppendAsync(table, "SELECT 100 + i AS frame, NULL AS label FROM range(20) r(i)");
        table = (await lake.CommitAsync((c, t) => c.AddColumnsAsync(table, [new ColumnDefinition("camera", LakeType.ParseDuckDb("VARCHAR")),
            new ColumnDefinition("pose", LakeType.ParseDuckDb("STRUCT(x DOUBLE, theta DOUBLE)"))], t), Ct)).Value;
        await lake.AppendAsync(table, "SELECT 200 + i AS frame, 'door' AS label, 'front' AS camera, {'x': i, 'theta': 0.5} AS pose FROM range(30) r(i)");
        table = (await lake.CommitAsync((c, t) => c.RenameColumnAsync(table, "label", "class", t), Ct)).Value;
        await lake.AppendAsync(table, "SELECT 300 AS frame, 'renamed' AS class");
        await lake.DeleteWhereAsync(table, "frame % 10 = 0 AND frame < 150", Ct);
        table = (await lake.CommitAsync((c, t) => c.DropColumnAsync(table, "ok", t), Ct)).Value;
        await lake.DeleteWhereAsync(table, "frame >= 200 AND frame < 230", Ct);

        await AssertStockReadsTheSameAsync(test, lake);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Partitioned_tables_read_the_same_at_every_snapshot(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var test = await TestLake.CreateAsync(mode);
        var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        var traces = await lake.CreateTableAsync("main", "traces", "tenant VARCHAR, seen_at TIMESTAMPTZ, step BIGINT, text VARCHAR",
            ("tenant", PartitionTransform.Identity), ("seen_at", PartitionTransform.Day));
        var monthly = await lake.CreateTableAsync("main", "monthly", "at DATE, n BIGINT", ("at", PartitionTransform.Year), ("at", PartitionTransform.Month));
        await lake.AppendAsync(traces, """
            SELECT ['acme', 'globex', NULL][1 + i % 3] AS tenant, TIMESTAMPTZ '2026-11-25 12:00:00+00' + to_days(i % 4) AS seen_at, i AS step, 'step ' || i AS text
            FROM range(300) r(i)
            """);
        await lake.AppendAsync(monthly, "SELECT DATE '2026-01-15' + to_days(i * 20) AS at, i AS n FROM range(30) r(i)");
        await lake.DeleteWhereAsync(traces, "tenant = 'acme' AND step % 7 = 0", Ct);

        await AssertStockReadsTheSameAsync(test, lake);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Compaction_expiry_and_cleanup_by_the_engine_leave_a_lake_the_stock_extension_reads_the_same(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var test = await TestLake.CreateAsync(mode);
        var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        var table = await lake.CreateTableAsync("main", "small", "n BIGINT, s VARCHAR", ("s", PartitionTransform.Identity));
        for (var i = 0; i < 6; i++) await lake.AppendAsync(table, $"SELECT {i} * 10 + r AS n, ['a', 'b'][1 + r % 2] AS s FROM range(10) t(r)");
        await lake.DeleteWhereAsync(table, "n % 9 = 0", Ct);
        await lake.MergeAdjacentFilesAsync(smallFileBytes: 1 << 20, dryRun: false, Ct);
        await lake.AppendAsync(table, "SELECT 1000 AS n, 'a' AS s");
        var dropped = await lake.CreateTableAsync("main", "dropped", "n BIGINT");
        await lake.AppendAsync(dropped, "SELECT 1 AS n");
        await lake.CommitAsync(async (c, t) => { await c.DropTableAsync(dropped, t); return 0; }, Ct);
        await lake.ExpireSnapshotsAsync(DateTimeOffset.UtcNow.AddSeconds(1), new HashSet<long> { 5 }, dryRun: false, Ct);
        await lake.CleanupOldFilesAsync(DateTimeOffset.UtcNow.AddSeconds(1), dryRun: false, Ct);

        await AssertStockReadsTheSameAsync(test, lake);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_table_dropped_and_created_again_reads_the_same_at_every_snapshot(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var test = await TestLake.CreateAsync(mode);
        var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        var first = await lake.CreateTableAsync("main", "jobs", "job_id VARCHAR, status VARCHAR");
        await lake.AppendAsync(first, "SELECT 'job-' || i AS job_id, 'ok' AS status FROM range(5) r(i)");
        await lake.CommitAsync(async (c, t) => { await c.DropTableAsync(first, t); return 0; }, Ct);
        var second = await lake.CreateTableAsync("main", "jobs", "job_id VARCHAR, attempts INTEGER");
        await lake.AppendAsync(second, "SELECT 'new-' || i AS job_id, i AS attempts FROM range(3) r(i)");

        await AssertStockReadsTheSameAsync(test, lake);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Rows_the_engine_inlines_deletes_and_flushes_read_the_same_at_every_snapshot(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var test = await TestLake.CreateAsync(mode);
        var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        var table = await lake.CreateTableAsync("event_log", "detections",
            "frame BIGINT, label VARCHAR, seen_at TIMESTAMPTZ, bbox STRUCT(x DOUBLE, y DOUBLE), tags VARCHAR[], meta JSON, tenant VARCHAR",
            ("tenant", PartitionTransform.Identity));
        await lake.AppendInlinedAsync(table, """
            SELECT 1 AS frame, 'it''s, {odd}' AS label, TIMESTAMPTZ '2026-11-27 10:00:00+00' AS seen_at, {'x': 0.5, 'y': -1} AS bbox,
                   ['a', 'b, c', NULL] AS tags, '{"k": [1, 2]}'::JSON AS meta, 'acme' AS tenant
            UNION ALL SELECT 2, NULL, NULL, NULL, [], NULL, 'globex'
            """);
        await lake.AppendAsync(table, "SELECT 10 + i AS frame, 'parquet' AS label, 'acme' AS tenant FROM range(20) r(i)");
        await lake.AppendInlinedAsync(table, "SELECT 30 + i AS frame, 'later' AS label, ['acme', 'globex'][1 + i % 2] AS tenant FROM range(5) r(i)");
        await lake.DeleteWhereAsync(table, "frame IN (2, 31, 15)", Ct);
        table = (await lake.CommitAsync((c, t) => c.AddColumnsAsync(table, [new ColumnDefinition("camera", LakeType.ParseDuckDb("VARCHAR"))], t), Ct)).Value;
        await lake.AppendInlinedAsync(table, "SELECT 40 AS frame, 'new layout' AS label, 'front' AS camera, 'acme' AS tenant");
        await lake.FlushInlinedDataAsync(dryRun: false, Ct);
        await lake.AppendInlinedAsync(table, "SELECT 50 AS frame, 'after flush' AS label, 'acme' AS tenant");

        await AssertStockReadsTheSameAsync(test, lake);
    }

    /// <summary>Captures what the engine reads, closes it (a DuckDB catalog file has one writer), and compares with the stock CLI.</summary>
    internal static async Task AssertStockReadsTheSameAsync(TestLake test, Lakehouse lake)
    {
        LakeView expected;
        await using (lake) expected = await EngineView.CaptureAsync(lake, Ct);
        await using var stock = await StockLake.OpenAsync(test, Ct);
        LakeView.AssertSame(expected, await stock.ViewAsync(Ct), "engine", "stock DuckDB");
    }
}
