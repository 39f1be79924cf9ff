using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Tests.Interop;

/// <summary>
/// Lakes the stock DuckDB + ducklake extension writes and maintains are lakes this engine reads exactly, and appends
/// to in a way the stock extension then reads back.
/// </summary>
public class EngineReadsStockLakesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Detections = "event_log.detections";

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Inlined_and_parquet_inserts_evolution_and_deletes_by_the_stock_extension_read_the_same(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var test = await CreateLakeAsync(mode);
        await StockAsync(test, """
            CREATE SCHEMA lake.event_log;
            CREATE TABLE lake.event_log.detections (frame BIGINT, label VARCHAR, confidence DOUBLE, seen_at TIMESTAMPTZ,
              bbox STRUCT(x INTEGER, y INTEGER), tags VARCHAR[]);
            INSERT INTO lake.event_log.detections VALUES
              (1, 'cup', 0.5, TIMESTAMPTZ '2026-11-27 10:00:00+00', {'x': 1, 'y': 2}, ['a', 'b']),
              (2, 'person', NULL, NULL, NULL, []),
              (3, 'it''s', 0.25, TIMESTAMPTZ '2026-11-27 11:00:00+00', {'x': NULL, 'y': 3}, ['c', NULL]);
            INSERT INTO lake.event_log.detections SELECT 100 + i, 'bulk', i / 100, (TIMESTAMP '2026-11-28 00:00:00' + to_minutes(i))::TIMESTAMPTZ,
              {'x': i, 'y': -i}, ['t' || i] FROM range(50) r(i);
            ALTER TABLE lake.event_log.detections ADD COLUMN camera VARCHAR;
            INSERT INTO lake.event_log.detections (frame, label, camera) VALUES (500, 'door', 'front'), (501, 'door', 'back');
            ALTER TABLE lake.event_log.detections RENAME COLUMN label TO class;
            DELETE FROM lake.event_log.detections WHERE frame % 10 = 0 OR frame = 2;
            """);

        await AssertEngineReadsTheSameAsync(test);
        await AssertEngineAppendsWhatStockReadsAsync(test, "SELECT 900 + i AS frame, 'engine' AS class, 'side' AS camera, ['e'] AS tags FROM range(4) r(i)");
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_lake_the_stock_extension_flushed_merged_expired_and_cleaned_reads_the_same(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var test = await CreateLakeAsync(mode);
        await StockAsync(test, """
            CREATE SCHEMA lake.event_log;
            CREATE TABLE lake.event_log.detections (frame BIGINT, label VARCHAR, bbox STRUCT(x INTEGER, y INTEGER));
            INSERT INTO lake.event_log.detections VALUES (1, 'inlined', {'x': 1, 'y': 1}), (2, 'inlined', NULL);
            INSERT INTO lake.event_log.detections SELECT 100 + i, 'a', {'x': i, 'y': i} FROM range(40) r(i);
            INSERT INTO lake.event_log.detections SELECT 200 + i, 'b', NULL FROM range(40) r(i);
            INSERT INTO lake.event_log.detections SELECT 300 + i, 'c', {'x': 0, 'y': i} FROM range(40) r(i);
            DELETE FROM lake.event_log.detections WHERE frame = 1 OR frame = 105;
            CALL ducklake_flush_inlined_data('lake');
            """);
        await AssertEngineReadsTheSameAsync(test);

        await StockAsync(test, "CALL ducklake_merge_adjacent_files('lake');");
        await AssertEngineReadsTheSameAsync(test);

        await StockAsync(test, """
            CALL ducklake_expire_snapshots('lake', older_than => now());
            CALL ducklake_cleanup_old_files('lake', cleanup_all => true);
            """);
        await AssertEngineReadsTheSameAsync(test);
        await AssertEngineAppendsWhatStockReadsAsync(test, "SELECT 900 + i AS frame, 'engine' AS label FROM range(3) r(i)");
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_partitioned_table_the_stock_extension_wrote_reads_the_same_and_takes_appends(LakeMode mode)
    {
        ReferenceDuckDb.Require();
        await using var test = await CreateLakeAsync(mode);
        await StockAsync(test, """
            CREATE TABLE lake.traces (tenant VARCHAR, seen_at TIMESTAMP, step INTEGER, text VARCHAR);
            ALTER TABLE lake.traces SET PARTITIONED BY (tenant, day(seen_at));
            INSERT INTO lake.traces SELECT ['acme', 'globex'][1 + i % 2], TIMESTAMP '2026-11-25 12:00:00' + INTERVAL (i % 3) DAY, i, 'step ' || i
              FROM range(60) r(i);
            INSERT INTO lake.traces VALUES ('acme', TIMESTAMP '2026-11-30 08:00:00', 1000, 'inlined');
            """);

        await AssertEngineReadsTheSameAsync(test);
        await AssertEngineAppendsWhatStockReadsAsync(test,
            "SELECT 'initech' AS tenant, TIMESTAMP '2026-12-01 00:00:00' AS seen_at, 2000 + i AS step, 'engine' AS text FROM range(5) r(i)", "main.traces");
    }

    private static async Task<TestLake> CreateLakeAsync(LakeMode mode)
    {
        var test = await TestLake.CreateAsync(mode);
        // The lake exists (catalog and data path) before the stock CLI writes to it, as with a running service.
        await (await Lakehouse.OpenAsync(test.Settings, Ct)).DisposeAsync();
        return test;
    }

    private static async Task StockAsync(TestLake test, string statements)
    {
        await using var stock = await StockLake.OpenAsync(test, Ct);
        await stock.ExecuteAsync(statements, Ct);
    }

    private static async Task AssertEngineReadsTheSameAsync(TestLake test)
    {
        LakeView expected;
        await using (var stock = await StockLake.OpenAsync(test, Ct)) expected = await stock.ViewAsync(Ct);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        LakeView.AssertSame(expected, await EngineView.CaptureAsync(lake, Ct), "stock DuckDB", "engine");
    }

    private static async Task AssertEngineAppendsWhatStockReadsAsync(TestLake test, string rows, string table = Detections)
    {
        var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        var names = table.Split('.');
        var target = (await lake.ReadAsync(SnapshotSelector.Latest, Ct)).FindTable(names[0], names[1])!;
        await lake.AppendAsync(target, rows);
        await StockReadsEngineLakesTests.AssertStockReadsTheSameAsync(test, lake);
    }
}
