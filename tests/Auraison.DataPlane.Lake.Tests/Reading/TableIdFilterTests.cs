using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;

namespace Auraison.DataPlane.Lake.Tests.Reading;

public class TableIdFilterTests
{
    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_read_narrowed_to_table_ids_holds_only_those_tables_and_their_files(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var kept = await lake.CreateTableAsync("main", "kept", "n BIGINT");
        var other = await lake.CreateTableAsync("main", "other", "n BIGINT");
        await lake.AppendAsync(kept, "SELECT 1 AS n");
        await lake.AppendAsync(other, "SELECT 2 AS n");

        var content = await lake.ReadAsync(SnapshotSelector.Latest, ct, new ContentFilter { TableIds = [kept.Id] });

        Assert.Equal([kept.Id], content.Tables.Select(t => t.Id));
        Assert.Single(content.Data[kept.Id].Files);
        Assert.False(content.Data.ContainsKey(other.Id));
    }
}
