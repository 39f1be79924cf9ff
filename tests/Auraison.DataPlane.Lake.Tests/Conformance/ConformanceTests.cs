using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Tests.Reading;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Lake.Tests.Conformance;

public class ConformanceTests
{
    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_lake_the_engine_wrote_through_every_operation_conforms_to_the_spec(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var detections = await lake.CreateTableAsync("event_log", "detections",
            "frame BIGINT, label VARCHAR, confidence DOUBLE, ok BOOLEAN, seen_at TIMESTAMPTZ, bbox STRUCT(x INTEGER, y INTEGER), tags VARCHAR[]",
            ("seen_at", PartitionTransform.Day));
        await lake.AppendAsync(detections,
            "SELECT i AS frame, 'l' || (i % 3) AS label, i / 7 AS confidence, i % 2 = 0 AS ok, TIMESTAMPTZ '2026-11-25 00:00:00+00' + to_hours(i) AS seen_at, {'x': i, 'y': -i} AS bbox, ['t' || i] AS tags FROM range(100) r(i)");
        var evolved = (await lake.CommitAsync(async (c, t) =>
            await c.RenameColumnAsync(await c.AddColumnsAsync(detections, [new ColumnDefinition("camera", LakeType.Primitive("varchar"))], t), "label", "class", t), ct)).Value;
        await lake.AppendAsync(evolved, "SELECT 1000 + i AS frame, 'front' AS camera, TIMESTAMPTZ '2026-11-27 00:00:00+00' AS seen_at FROM range(5) r(i)");
        await lake.DeleteWhereAsync(evolved, "frame % 10 = 0", ct);
        await lake.MergeAdjacentFilesAsync(1 << 20, dryRun: false, ct);
        var jobs = await lake.CreateTableAsync("main", "job_outcomes", "job_id VARCHAR, status VARCHAR");
        await lake.AppendAsync(jobs, "SELECT 'j' || i AS job_id, 'ok' AS status FROM range(3) r(i)");

        var violations = await new SpecConformance(lake).CheckAsync(ct);

        Assert.Empty(violations);
    }

    [Fact]
    public async Task The_checks_catch_a_catalog_that_breaks_the_rules()
    {
        await using var test = await TestLake.CreateAsync(LakeMode.Embedded);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "t", "n INTEGER");
        await lake.AppendAsync(table, "SELECT 1 AS n");
        await using (var connection = await lake.Catalog.OpenAsync(ct))
        {
            await connection.ExecuteAsync(null, "UPDATE ducklake_data_file SET file_size_bytes = 1", ct);
            await connection.ExecuteAsync(null, "UPDATE ducklake_snapshot SET next_file_id = 0", ct);
            await connection.ExecuteAsync(null, "UPDATE ducklake_snapshot_changes SET changes_made = 'renamed_table:1' WHERE snapshot_id = 1", ct);
            await connection.ExecuteAsync(null, "UPDATE ducklake_file_column_stats SET max_value = '7'", ct);
        }

        var violations = await new SpecConformance(lake).CheckAsync(ct);

        Assert.Contains(violations, v => v.Contains("bytes, catalog says 1", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("next_file_id 0", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("does not parse", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("stats [1, 7] but data [1, 1]", StringComparison.Ordinal));
    }

    public static TheoryData<string> Fixtures => new(FixtureLakes.Names);

    [Theory, MemberData(nameof(Fixtures))]
    public async Task The_checks_pass_on_lakes_the_stock_extension_wrote(string fixture)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(LakeMode.Embedded);
        var folder = FixtureLakes.CopyTo(fixture, Path.Combine(test.WorkDirectory, fixture));
        await using var lake = await Lakehouse.OpenAsync(
            new LakeSettings { WorkDirectory = test.WorkDirectory, CatalogFile = Path.Combine(folder, "catalog.ducklake") }, ct);

        Assert.Empty(await new SpecConformance(lake).CheckAsync(ct));
    }
}
