using Auraison.DataPlane.Lake.Maintenance;

namespace Auraison.DataPlane.Lake.Tests.Catalog;

public class TablesChangedTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Appends_name_their_tables_and_a_create_or_an_expired_commit_tells_nothing(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, Ct);
        var a = await lake.CreateTableAsync("main", "a", "n BIGINT");
        var b = await lake.CreateTableAsync("main", "b", "n BIGINT");
        var start = (await lake.LatestAsync(TimeSpan.Zero, Ct)).Id;
        await lake.AppendAsync(a, "SELECT 1 AS n");
        await lake.AppendAsync(a, "SELECT 2 AS n");
        var appended = (await lake.LatestAsync(TimeSpan.Zero, Ct)).Id;
        await lake.CreateTableAsync("main", "c", "n BIGINT");
        var created = (await lake.LatestAsync(TimeSpan.Zero, Ct)).Id;

        var onlyAppends = await lake.TablesChangedAsync(start, appended, Ct);
        var withCreate = await lake.TablesChangedAsync(start, created, Ct);
        await lake.ExpireSnapshotsAsync(DateTimeOffset.UtcNow.AddSeconds(1), new HashSet<long> { start }, dryRun: false, Ct);
        var afterExpiry = await lake.TablesChangedAsync(start, appended, Ct);

        Assert.Equal([a.Id], onlyAppends!);
        Assert.DoesNotContain(b.Id, onlyAppends!);
        Assert.Null(withCreate);
        Assert.Null(afterExpiry);
    }
}
