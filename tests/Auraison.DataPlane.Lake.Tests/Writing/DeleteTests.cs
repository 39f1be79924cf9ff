using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Lake.Tests.Writing;

public class DeleteTests
{
    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Deleted_rows_disappear_now_and_stay_visible_at_the_snapshot_before(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "t", "n INTEGER");
        var appended = await lake.AppendAsync(table, "SELECT i AS n FROM range(10) r(i)");

        var deleted = await lake.DeleteWhereAsync(table, "n % 3 = 0", ct);

        Assert.Equal(4, deleted.Value);
        Assert.Equal(["1", "2", "4", "5", "7", "8"], (await lake.QueryJsonAsync("SELECT n FROM main.t ORDER BY n")).Select(r => r[5..^1]));
        Assert.Equal(10, await lake.CountAsync("main.t", SnapshotSelector.ById(appended.SnapshotId)));
        Assert.Equal([[4L, $"deleted_from_table:{table.Id}"]], await lake.CatalogRowsAsync(
            "SELECT f.delete_count, c.changes_made FROM ducklake_delete_file f JOIN ducklake_snapshot_changes c ON c.snapshot_id = f.begin_snapshot"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_second_delete_on_a_file_replaces_its_delete_file_with_old_and_new_positions(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "t", "n INTEGER");
        await lake.AppendAsync(table, "SELECT i AS n FROM range(10) r(i)");
        var first = await lake.DeleteWhereAsync(table, "n < 2", ct);

        await lake.DeleteWhereAsync(table, "n > 7", ct);

        Assert.Equal(6, await lake.CountAsync("main.t"));
        Assert.Equal([[2L, first.SnapshotId + 1], [4L, null]],
            await lake.CatalogRowsAsync("SELECT delete_count, end_snapshot FROM ducklake_delete_file ORDER BY delete_file_id"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Deleting_every_row_of_a_file_ends_the_file_without_a_delete_file(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "t", "batch INTEGER, n INTEGER");
        await lake.AppendAsync(table, "SELECT 1 AS batch, i AS n FROM range(5) r(i)");
        await lake.AppendAsync(table, "SELECT 2 AS batch, i AS n FROM range(5) r(i)");

        var deleted = await lake.DeleteWhereAsync(table, "batch = 1", ct);

        Assert.Equal(5, deleted.Value);
        Assert.Equal(5, await lake.CountAsync("main.t"));
        Assert.Empty(await lake.CatalogRowsAsync("SELECT * FROM ducklake_delete_file"));
        Assert.Equal([[deleted.SnapshotId], [null]], await lake.CatalogRowsAsync("SELECT end_snapshot FROM ducklake_data_file ORDER BY data_file_id"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_delete_that_matches_nothing_creates_no_snapshot(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "t", "n INTEGER");
        var appended = await lake.AppendAsync(table, "SELECT 1 AS n");

        var deleted = await lake.DeleteWhereAsync(table, "n > 100", ct);

        Assert.Equal(0, deleted.Value);
        Assert.False(deleted.CreatedSnapshot);
        Assert.Equal([[appended.SnapshotId]], await lake.CatalogRowsAsync("SELECT max(snapshot_id) FROM ducklake_snapshot"));
    }
}
