using Auraison.DataPlane.Lake.Maintenance;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Lake.Tests.Maintenance;

public class MaintenanceTests
{
    private static readonly DateTimeOffset Future = DateTimeOffset.UtcNow.AddDays(1);

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Expiry_keeps_the_newest_and_pinned_snapshots_and_schedules_files_no_snapshot_sees(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "t", "batch INTEGER");
        var first = await lake.AppendAsync(table, "SELECT 1 AS batch");
        var pinned = await lake.AppendAsync(table, "SELECT 2 AS batch");
        await lake.DeleteWhereAsync(table, "batch = 1", ct);
        await lake.DeleteWhereAsync(table, "batch = 2", ct);

        var report = await lake.ExpireSnapshotsAsync(Future, new HashSet<long> { pinned.SnapshotId }, dryRun: false, ct);

        var remaining = (await lake.CatalogRowsAsync("SELECT snapshot_id FROM ducklake_snapshot ORDER BY 1")).Select(r => (long)r[0]!).ToList();
        Assert.Equal([pinned.SnapshotId, pinned.SnapshotId + 2], remaining);
        Assert.Contains(first.SnapshotId, report.Snapshots);
        Assert.Equal(2, await lake.CountAsync("main.t", SnapshotSelector.ById(pinned.SnapshotId)));
        Assert.Equal(0, await lake.CountAsync("main.t"));
        // Both files were live at the pinned snapshot, so neither may be scheduled for deletion.
        Assert.Empty(await lake.CatalogRowsAsync("SELECT * FROM ducklake_files_scheduled_for_deletion"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Forgetting_one_partitions_deleted_rows_leaves_every_other_partitions_history_whole(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "t", "owner VARCHAR, batch INTEGER", ("owner", PartitionTransform.Identity));
        var before = await lake.AppendAsync(table, "SELECT * FROM (VALUES ('a', 1), ('b', 1)) v(owner, batch)");
        await lake.DeleteWhereAsync(table, "batch = 1", ct);
        var forgotten = (await lake.CatalogRowsAsync("SELECT path FROM ducklake_data_file WHERE path LIKE '%owner=a%'")).Select(r => table.Directory + r[0]).ToList();

        var report = await lake.ForgetEndedAsync("owner", "a", new HashSet<long>(), dryRun: false, ct);
        await lake.CleanupOldFilesAsync(Future, dryRun: false, ct);

        Assert.Equal(forgotten, report.Files);
        Assert.Equal(["""{"owner":"b","batch":1}"""], await lake.QueryJsonAsync("SELECT owner, batch FROM main.t", SnapshotSelector.ById(before.SnapshotId)));
        Assert.All(forgotten, f => Assert.False(lake.Storage.ExistsAsync(f, ct).Result));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Expired_files_are_scheduled_then_removed_from_the_object_store(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "t", "batch INTEGER");
        await lake.AppendAsync(table, "SELECT 1 AS batch");
        await lake.AppendAsync(table, "SELECT 2 AS batch");
        await lake.DeleteWhereAsync(table, "batch = 1", ct);
        var doomed = (await lake.CatalogRowsAsync("SELECT path FROM ducklake_data_file WHERE end_snapshot IS NOT NULL")).Single()[0] as string;
        var doomedPath = table.Directory + doomed;

        var dry = await lake.ExpireSnapshotsAsync(Future, new HashSet<long>(), dryRun: true, ct);
        Assert.Equal([doomedPath], dry.Files);
        Assert.Equal(5, (await lake.CatalogRowsAsync("SELECT * FROM ducklake_snapshot")).Count);

        await lake.ExpireSnapshotsAsync(Future, new HashSet<long>(), dryRun: false, ct);
        Assert.True(await lake.Storage.ExistsAsync(doomedPath, ct));
        var cleaned = await lake.CleanupOldFilesAsync(Future, dryRun: false, ct);

        Assert.Equal([doomedPath], cleaned.Files);
        Assert.False(await lake.Storage.ExistsAsync(doomedPath, ct));
        Assert.Empty(await lake.CatalogRowsAsync("SELECT * FROM ducklake_files_scheduled_for_deletion"));
        Assert.Equal(1, await lake.CountAsync("main.t"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Orphan_cleanup_deletes_only_unreferenced_old_objects(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "t", "n INTEGER");
        await lake.AppendAsync(table, "SELECT 1 AS n");
        var orphan = Path.Combine(test.WorkDirectory, "orphan.parquet");
        await File.WriteAllTextAsync(orphan, "not referenced", ct);
        await lake.Storage.UploadAsync(orphan, table.Directory + "ducklake-orphan.parquet", ct);

        var notYet = await lake.DeleteOrphanedFilesAsync(DateTimeOffset.UtcNow.AddHours(-1), dryRun: false, ct);
        var dry = await lake.DeleteOrphanedFilesAsync(Future, dryRun: true, ct);
        var done = await lake.DeleteOrphanedFilesAsync(Future, dryRun: false, ct);

        Assert.Empty(notYet.Files);
        Assert.Equal([table.Directory + "ducklake-orphan.parquet"], dry.Files);
        Assert.Equal(dry.Files, done.Files);
        Assert.False(await lake.Storage.ExistsAsync(table.Directory + "ducklake-orphan.parquet", ct));
        Assert.Equal(1, await lake.CountAsync("main.t"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Merging_small_files_keeps_rows_row_ids_and_time_travel(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "t", "tenant VARCHAR, n INTEGER", ("tenant", PartitionTransform.Identity));
        for (var i = 0; i < 3; i++) await lake.AppendAsync(table, $"SELECT t AS tenant, {i} * 10 + r AS n FROM (VALUES ('a'), ('b')) v(t), range(3) x(r)");
        await lake.DeleteWhereAsync(table, "n = 11", ct);
        var before = await lake.QueryJsonAsync("SELECT * FROM main.t ORDER BY ALL");
        var beforeSnapshot = (long)(await lake.CatalogRowsAsync("SELECT max(snapshot_id) FROM ducklake_snapshot")).Single()[0]!;

        var report = await lake.MergeAdjacentFilesAsync(smallFileBytes: 1 << 20, dryRun: false, ct);

        Assert.Equal(6, report.Files.Count);
        Assert.Equal(before, await lake.QueryJsonAsync("SELECT * FROM main.t ORDER BY ALL"));
        Assert.Equal(2, (await lake.ReadAsync(SnapshotSelector.Latest, ct)).Data[table.Id].Files.Count);
        Assert.Equal(before, await lake.QueryJsonAsync("SELECT * FROM main.t ORDER BY ALL", SnapshotSelector.ById(beforeSnapshot)));
        Assert.Equal(6, (await lake.ReadAsync(SnapshotSelector.ById(beforeSnapshot), ct)).Data[table.Id].Files.Count);
        var changes = await lake.CatalogRowsAsync("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id > $1 ORDER BY snapshot_id", beforeSnapshot);
        Assert.Equal([[$"merge_adjacent:{table.Id}"], [$"merge_adjacent:{table.Id}"]], changes);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Merging_fills_each_merged_file_up_to_the_target_size(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "t", "n INTEGER");
        for (var i = 0; i < 4; i++) await lake.AppendAsync(table, $"SELECT {i} * 10 + r AS n FROM range(3) x(r)");
        var sizes = (await lake.ReadAsync(SnapshotSelector.Latest, ct)).Data[table.Id].Files.Select(f => f.FileSizeBytes).ToList();
        var before = await lake.QueryJsonAsync("SELECT * FROM main.t ORDER BY ALL");

        // Room for two of the small files per merged file, not three.
        var report = await lake.MergeAdjacentFilesAsync(smallFileBytes: sizes.Max() * 2, dryRun: false, ct);

        Assert.Equal(4, report.Files.Count);
        Assert.Equal(2, (await lake.ReadAsync(SnapshotSelector.Latest, ct)).Data[table.Id].Files.Count);
        Assert.Equal(before, await lake.QueryJsonAsync("SELECT * FROM main.t ORDER BY ALL"));
    }
}
