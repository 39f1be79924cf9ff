using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Lake.Tests.Writing;

public class WriteReadTests
{
    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Appended_rows_read_back_with_their_types_including_nested_ones(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, TestContext.Current.CancellationToken);
        var table = await lake.CreateTableAsync("event_log", "detections",
            "frame BIGINT, label VARCHAR, confidence DOUBLE, ok BOOLEAN, seen_at TIMESTAMPTZ, bbox STRUCT(x INTEGER, y INTEGER), tags VARCHAR[]");

        await lake.AppendAsync(table, """
            SELECT 7 AS frame, 'cup' AS label, 0.25 AS confidence, true AS ok, TIMESTAMPTZ '2026-11-27 10:00:00+00' AS seen_at,
                   {'x': 1, 'y': 2} AS bbox, ['a', 'b'] AS tags
            UNION ALL SELECT 8, NULL, NULL, NULL, NULL, NULL, NULL
            """);

        Assert.Equal(
            [
                """{"frame":7,"label":"cup","confidence":0.25,"ok":true,"seen_at":"2026-11-27 10:00:00+00","bbox":{"x":1,"y":2},"tags":["a","b"]}""",
                """{"frame":8,"label":null,"confidence":null,"ok":null,"seen_at":null,"bbox":null,"tags":null}""",
            ],
            await lake.QueryJsonAsync("SELECT * FROM event_log.detections ORDER BY frame"));
        var types = await lake.QueryJsonAsync("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'detections' ORDER BY ordinal_position");
        Assert.Contains("""{"column_name":"bbox","data_type":"STRUCT(x INTEGER, y INTEGER)"}""", types);
        Assert.Contains("""{"column_name":"seen_at","data_type":"TIMESTAMP WITH TIME ZONE"}""", types);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Each_commit_creates_exactly_one_snapshot_with_its_changes(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, TestContext.Current.CancellationToken);

        var table = await lake.CreateTableAsync("event_log", "traces", "step INTEGER, text VARCHAR");
        await lake.AppendAsync(table, "SELECT i AS step, 'x' AS text FROM range(10) t(i)");

        var snapshots = await lake.CatalogRowsAsync(
            "SELECT s.snapshot_id, s.schema_version, s.next_catalog_id, s.next_file_id, c.changes_made FROM ducklake_snapshot s JOIN ducklake_snapshot_changes c USING (snapshot_id) ORDER BY 1");
        Assert.Equal(
            [
                [0L, 0L, 1L, 0L, "created_schema:\"main\""],
                [1L, 1L, 3L, 0L, "created_schema:\"event_log\",created_table:\"event_log\".\"traces\""],
                [2L, 1L, 3L, 1L, $"inserted_into_table:{table.Id}"],
            ],
            snapshots);
        Assert.Equal([[1L, 1L, table.Id]], await lake.CatalogRowsAsync("SELECT begin_snapshot, schema_version, table_id FROM ducklake_schema_versions"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_data_file_gets_row_ids_from_table_stats_and_exact_statistics(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, TestContext.Current.CancellationToken);
        var table = await lake.CreateTableAsync("main", "m", "n BIGINT, s VARCHAR, d DOUBLE, b BOOLEAN, t TIMESTAMPTZ");

        await lake.AppendAsync(table, "SELECT i AS n, 'v' || i AS s, i / 2 AS d, i % 2 = 0 AS b, TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_hours(i) AS t FROM range(5) r(i)");
        await lake.AppendAsync(table, "SELECT 100 + i AS n, NULL AS s, 'nan'::DOUBLE AS d, NULL AS b, NULL AS t FROM range(3) r(i)");

        Assert.Equal([[0L, 5L], [5L, 3L]], await lake.CatalogRowsAsync("SELECT row_id_start, record_count FROM ducklake_data_file ORDER BY data_file_id"));
        Assert.Equal([[8L, 8L]], await lake.CatalogRowsAsync("SELECT record_count, next_row_id FROM ducklake_table_stats"));
        Assert.Equal(
            [
                [1L, false, null, "0", "102"],
                [2L, true, null, "v0", "v4"],
                [3L, false, true, "0.0", "2.0"],
                [4L, true, null, "0", "1"],
                [5L, true, null, "2026-01-01 00:00:00+00", "2026-01-01 04:00:00+00"],
            ],
            await lake.CatalogRowsAsync("SELECT column_id, contains_null, contains_nan, min_value, max_value FROM ducklake_table_column_stats ORDER BY column_id"));
        var fileSizes = await lake.CatalogRowsAsync("SELECT file_size_bytes, footer_size FROM ducklake_data_file");
        Assert.All(fileSizes, row => Assert.True((long)row[0]! > (long)row[1]! && (long)row[1]! > 0));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task An_added_column_is_null_in_old_files_and_a_rename_reads_old_files_by_field_id(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "jobs", "job_id VARCHAR, status VARCHAR");
        await lake.AppendAsync(table, "SELECT 'j1' AS job_id, 'ok' AS status");

        var evolved = (await lake.CommitAsync(async (c, token) =>
        {
            var added = await c.AddColumnsAsync(table, [new ColumnDefinition("cluster", LakeType.Primitive("varchar"))], token);
            return await c.RenameColumnAsync(added, "status", "outcome", token);
        }, ct)).Value;
        await lake.AppendAsync(evolved, "SELECT 'j2' AS job_id, 'failed' AS outcome, 'gpu' AS cluster");

        Assert.Equal(
            ["""{"job_id":"j1","outcome":"ok","cluster":null}""", """{"job_id":"j2","outcome":"failed","cluster":"gpu"}"""],
            await lake.QueryJsonAsync("SELECT * FROM main.jobs ORDER BY job_id"));
        Assert.Equal(["""{"job_id":"j1","status":"ok"}"""], await lake.QueryJsonAsync("SELECT * FROM main.jobs", SnapshotSelector.ById(2)));
        Assert.Equal([[3L]], await lake.CatalogRowsAsync("SELECT column_id FROM ducklake_column WHERE column_name = 'cluster'"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_dropped_table_is_gone_now_and_still_readable_at_an_older_snapshot(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "temp", "n INTEGER");
        var appended = await lake.AppendAsync(table, "SELECT 1 AS n");

        await lake.CommitAsync(async (c, token) => { await c.DropTableAsync(table, token); return 0; }, ct);

        Assert.DoesNotContain((await lake.ReadAsync(SnapshotSelector.Latest, ct)).Tables, t => t.Name == "temp");
        Assert.Equal(1, await lake.CountAsync("main.temp", SnapshotSelector.ById(appended.SnapshotId)));
        Assert.Equal([[appended.SnapshotId + 1]], await lake.CatalogRowsAsync("SELECT end_snapshot FROM ducklake_data_file"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Partitioned_appends_write_one_file_per_partition_in_hive_directories(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, TestContext.Current.CancellationToken);
        var table = await lake.CreateTableAsync("event_log", "traces", "tenant VARCHAR, seen_at TIMESTAMPTZ, step INTEGER",
            ("tenant", PartitionTransform.Identity), ("seen_at", PartitionTransform.Day));

        await lake.AppendAsync(table, """
            SELECT CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS tenant, TIMESTAMPTZ '2026-11-25 12:00:00+00' + to_days(i % 3) AS seen_at, i AS step
            FROM range(12) r(i)
            """);

        var files = await lake.CatalogRowsAsync("SELECT path FROM ducklake_data_file ORDER BY path");
        Assert.Equal(6, files.Count);
        Assert.All(files, f => Assert.Matches("^tenant=[ab]/day=2[567]/ducklake-[0-9a-f-]+\\.parquet$", (string)f[0]!));
        var values = await lake.CatalogRowsAsync(
            "SELECT v.partition_key_index, v.partition_value FROM ducklake_file_partition_value v JOIN ducklake_data_file d USING (data_file_id) WHERE d.path LIKE 'tenant=a/day=25/%' ORDER BY 1");
        Assert.Equal([[0L, "a"], [1L, "25"]], values);
        Assert.Equal(12, await lake.CountAsync("event_log.traces"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_commit_that_fails_after_its_upload_leaves_no_object_behind(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, TestContext.Current.CancellationToken);
        var table = await lake.CreateTableAsync("main", "doomed", "n BIGINT");
        await lake.CommitAsync(async (c, t) => { await c.DropTableAsync(table, t); return 0; }, TestContext.Current.CancellationToken);

        // The rows are staged and uploaded, then the commit finds the table gone.
        await Assert.ThrowsAsync<LakeConflictException>(() => lake.AppendAsync(table, "SELECT i AS n FROM range(10) r(i)"));

        Assert.Empty(await lake.Storage.ListAsync(lake.DataPath, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));
    }
}
