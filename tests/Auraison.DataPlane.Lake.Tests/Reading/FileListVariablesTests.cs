using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Lake.Tests.Reading;

public class FileListVariablesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_view_over_many_files_reads_them_all_from_another_connection_once_it_sets_their_variables(LakeMode mode)
    {
        const int files = FileListVariables.VariableFrom + 6;
        await using var views = await ViewsAsync(mode, OneRowFiles(files));

        Assert.Equal(1, views.Views.FileLists.Count);
        Assert.Equal($"{files} {files * (files - 1L) / 2}", await views.ScalarAsync(views.Other, "SELECT count(*) || ' ' || sum(n) FROM main.many"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Views_moved_past_files_added_read_them_after_the_same_variable_from_connections_that_set_it_before(LakeMode mode)
    {
        const int files = FileListVariables.VariableFrom;
        await using var views = await ViewsAsync(mode, OneRowFiles(files));

        var moved = await views.AdvanceAsync($"SELECT {files} AS n");

        Assert.True(moved);
        Assert.Equal(1, views.Views.FileLists.Count);
        Assert.Equal($"{files + 1}", await views.ScalarAsync(views.Other, "SELECT count(*) FROM main.many"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Views_stay_as_they_were_when_more_files_were_added_than_literals_may_follow_a_list_with(LakeMode mode)
    {
        const int files = FileListVariables.VariableFrom;
        // One file per value of n: a commit of that many values adds that many files.
        await using var views = await ViewsAsync(mode, (lake, table) => lake.AppendAsync(table, $"SELECT i AS n FROM range({files}) t(i)"),
            ("n", PartitionTransform.Identity));

        var moved = await views.AdvanceAsync($"SELECT {files} + i AS n FROM range({files}) t(i)");

        Assert.False(moved);
        Assert.Equal(1, views.Views.FileLists.Count);
        Assert.Equal($"{files}", await views.ScalarAsync(views.Duck, "SELECT count(*) FROM main.many"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Content_does_not_move_past_a_commit_that_ended_one_of_its_files(LakeMode mode)
    {
        await using var views = await ViewsAsync(mode, OneRowFiles(2));

        await Lake.Maintenance.FileCompaction.MergeAdjacentFilesAsync(views.Lake, 1 << 30, dryRun: false, Ct);

        Assert.Null(await views.Lake.Reader.AdvanceAsync(views.Content, (await views.Lake.LatestAsync(TimeSpan.Zero, Ct)).Id, null, Ct));
    }

    [Fact]
    public void A_short_list_stays_a_literal()
    {
        var lists = new FileListVariables();

        Assert.Equal("['/lake/a.parquet']", lists.Render([], ["/lake/a.parquet"]));
        Assert.Equal(0, lists.Count);
    }

    private static Func<Lakehouse, LakeTable, Task> OneRowFiles(int count) => async (lake, table) =>
    {
        for (var i = 0; i < count; i++) await lake.AppendAsync(table, $"SELECT {i} AS n");
    };

    /// <summary>
    /// Views over table <c>main.many</c> (<c>n BIGINT</c>) once <paramref name="write"/> appended to it, and a second
    /// connection to their database that set their list variables.
    /// </summary>
    private static async Task<Scenario> ViewsAsync(LakeMode mode, Func<Lakehouse, LakeTable, Task> write,
        params (string Column, PartitionTransform Transform)[] partitioning)
    {
        var test = await TestLake.CreateAsync(mode);
        var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        var table = await lake.CreateTableAsync("main", "many", "n BIGINT", partitioning);
        await write(lake, table);
        var duck = await QueryDatabase.OpenAsync(Ct);
        var content = await lake.ReadAsync(SnapshotSelector.Latest, Ct);
        var views = await lake.Reader.CreateViewsAsync(duck, content, Ct);
        var other = duck.Duplicate();
        await other.OpenAsync(Ct);
        await views.FileLists.SetAsync(other, Ct);
        return new Scenario(test, lake, table, duck, other, content, views);
    }

    private sealed record Scenario(TestLake Test, Lakehouse Lake, LakeTable Table, DuckDBConnection Duck, DuckDBConnection Other,
        SnapshotContent Content, CreatedViews Views) : IAsyncDisposable
    {
        /// <summary>Appends the rows of <paramref name="select"/> and moves the views forward to that commit (false when they cannot follow it).</summary>
        public async Task<bool> AdvanceAsync(string select)
        {
            var added = await Lake.AppendAsync(Table, select);
            var content = await Lake.Reader.AdvanceAsync(Content, added.SnapshotId, null, Ct);
            return await Lake.Reader.AdvanceViewsAsync(Duck, Views, Content, content!, Ct);
        }

        public async Task<string?> ScalarAsync(DuckDBConnection connection, string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToString(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
        }

        public async ValueTask DisposeAsync()
        {
            await Other.DisposeAsync();
            await Duck.DisposeAsync();
            await Lake.DisposeAsync();
            await Test.DisposeAsync();
        }
    }
}
