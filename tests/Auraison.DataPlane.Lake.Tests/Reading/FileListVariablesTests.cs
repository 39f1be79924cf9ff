using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;

namespace Auraison.DataPlane.Lake.Tests.Reading;

public class FileListVariablesTests
{
    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_view_over_many_files_reads_them_all_from_another_connection_once_it_sets_their_variables(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "many", "n BIGINT");
        const int files = FileListVariables.VariableFrom + 6;
        for (var i = 0; i < files; i++) await lake.AppendAsync(table, $"SELECT {i} AS n");

        await using var duck = await QueryDatabase.OpenAsync(ct);
        var views = await lake.Reader.CreateViewsAsync(duck, await lake.ReadAsync(SnapshotSelector.Latest, ct), ct);
        await using var other = duck.Duplicate();
        await other.OpenAsync(ct);
        await views.FileLists.SetAsync(other, ct);

        Assert.Equal(1, views.FileLists.Count);
        await using var command = other.CreateCommand();
        command.CommandText = "SELECT count(*), CAST(sum(n) AS BIGINT) FROM main.many";
        await using var reader = await command.ExecuteReaderAsync(ct);
        Assert.True(await reader.ReadAsync(ct));
        Assert.Equal((long)files, reader.GetInt64(0));
        Assert.Equal(files * (files - 1L) / 2, reader.GetInt64(1));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Views_moved_past_files_added_read_them_after_the_same_variable_from_connections_that_set_it_before(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "many", "n BIGINT");
        const int files = FileListVariables.VariableFrom;
        for (var i = 0; i < files; i++) await lake.AppendAsync(table, $"SELECT {i} AS n");
        await using var duck = await QueryDatabase.OpenAsync(ct);
        var content = await lake.ReadAsync(SnapshotSelector.Latest, ct);
        var views = await lake.Reader.CreateViewsAsync(duck, content, ct);
        await using var other = duck.Duplicate();
        await other.OpenAsync(ct);
        await views.FileLists.SetAsync(other, ct);

        var added = await lake.AppendAsync(table, $"SELECT {files} AS n");
        var advanced = await lake.Reader.AdvanceAsync(content, added.SnapshotId, null, ct);
        var moved = await lake.Reader.AdvanceViewsAsync(duck, views, content, advanced!, ct);

        Assert.NotNull(moved);
        Assert.Equal(1, views.FileLists.Count);
        await using var command = other.CreateCommand();
        command.CommandText = "SELECT count(*) FROM main.many";
        Assert.Equal(files + 1L, await command.ExecuteScalarAsync(ct));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Views_stay_as_they_were_when_more_files_were_added_than_literals_may_follow_a_list_with(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        // One file per value of n: a commit of that many values adds that many files.
        var table = await lake.CreateTableAsync("main", "many", "n BIGINT", ("n", PartitionTransform.Identity));
        const int files = FileListVariables.VariableFrom;
        await lake.AppendAsync(table, $"SELECT i AS n FROM range({files}) t(i)");
        await using var duck = await QueryDatabase.OpenAsync(ct);
        var content = await lake.ReadAsync(SnapshotSelector.Latest, ct);
        var views = await lake.Reader.CreateViewsAsync(duck, content, ct);

        var added = await lake.AppendAsync(table, $"SELECT {files} + i AS n FROM range({files}) t(i)");
        var moved = await lake.Reader.AdvanceViewsAsync(duck, views, content, (await lake.Reader.AdvanceAsync(content, added.SnapshotId, null, ct))!, ct);

        Assert.Null(moved);
        Assert.Equal(1, views.FileLists.Count);
        await using var command = duck.CreateCommand();
        command.CommandText = "SELECT count(*) FROM main.many";
        Assert.Equal((long)files, await command.ExecuteScalarAsync(ct));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Content_does_not_move_past_a_commit_that_ended_one_of_its_files(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "few", "n BIGINT");
        await lake.AppendAsync(table, "SELECT 1 AS n");
        await lake.AppendAsync(table, "SELECT 2 AS n");
        var content = await lake.ReadAsync(SnapshotSelector.Latest, ct);

        await Lake.Maintenance.FileCompaction.MergeAdjacentFilesAsync(lake, 1 << 30, dryRun: false, ct);

        Assert.Null(await lake.Reader.AdvanceAsync(content, (await lake.LatestAsync(TimeSpan.Zero, ct)).Id, null, ct));
    }

    [Fact]
    public void A_short_list_stays_a_literal()
    {
        var lists = new FileListVariables();

        Assert.Equal("['/lake/a.parquet']", lists.Render([], ["/lake/a.parquet"]));
        Assert.Equal(0, lists.Count);
    }
}
