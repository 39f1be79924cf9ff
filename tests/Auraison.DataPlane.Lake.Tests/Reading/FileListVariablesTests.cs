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

    [Fact]
    public void A_short_list_stays_a_literal()
    {
        var lists = new FileListVariables();

        Assert.Equal("['/lake/a.parquet']", lists.Render([], ["/lake/a.parquet"]));
        Assert.Equal(0, lists.Count);
    }
}
