using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Tests.Reading;

public class RowFilterTests
{
    private static async Task<List<long>> VisibleAsync(Lakehouse lake, Func<LakeTable, DataFileInfo, bool> passesFilter)
    {
        var ct = TestContext.Current.CancellationToken;
        var content = await lake.ReadAsync(SnapshotSelector.Latest, ct);
        await using var duck = await QueryDatabase.OpenAsync(ct);
        await lake.Reader.CreateViewsAsync(duck, content, ct, _ => "owner = 'a'", passesFilter);
        await using var command = duck.CreateCommand();
        command.CommandText = "SELECT n FROM main.owned ORDER BY n";
        await using var reader = await command.ExecuteReaderAsync(ct);
        List<long> rows = [];
        while (await reader.ReadAsync(ct)) rows.Add(reader.GetInt64(0));
        return rows;
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task The_row_filter_applies_to_every_file_but_those_vouched_for(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, TestContext.Current.CancellationToken);
        var table = await lake.CreateTableAsync("main", "owned", "n BIGINT, owner VARCHAR");
        var first = (await lake.AppendAsync(table, "SELECT 1 AS n, 'a' AS owner UNION ALL SELECT 2, 'a'")).Value.Single();
        await lake.AppendAsync(table, "SELECT 3 AS n, 'b' AS owner");

        Assert.Equal([1L, 2L], await VisibleAsync(lake, (_, file) => file.Id == first));
        Assert.Equal([1L, 2L], await VisibleAsync(lake, (_, _) => false));
        // Vouching is trusted: a file vouched for is read whole, so callers vouch only by what the partitioning proves.
        Assert.Equal([1L, 2L, 3L], await VisibleAsync(lake, (_, _) => true));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Inlined_rows_are_filtered_too_when_every_file_is_vouched_for(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, TestContext.Current.CancellationToken);
        var table = await lake.CreateTableAsync("main", "owned", "n BIGINT, owner VARCHAR");
        await lake.AppendAsync(table, "SELECT 1 AS n, 'a' AS owner");
        await lake.AppendInlinedAsync(table, "SELECT 2 AS n, 'a' AS owner UNION ALL SELECT 3, 'b'");

        Assert.Equal([1L, 2L], await VisibleAsync(lake, (_, _) => true));
    }
}
