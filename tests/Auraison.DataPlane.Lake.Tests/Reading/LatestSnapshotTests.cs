namespace Auraison.DataPlane.Lake.Tests.Reading;

public class LatestSnapshotTests
{
    private static readonly TimeSpan LongAgo = TimeSpan.FromHours(1);

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_lake_knows_its_own_commits_at_once(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var before = await lake.LatestAsync(LongAgo, ct);

        var table = await lake.CreateTableAsync("main", "events", "k INTEGER");
        await lake.AppendAsync(table, "SELECT 1 AS k");

        Assert.Equal(before.Id + 2, (await lake.LatestAsync(LongAgo, ct)).Id);
    }

    [Fact]
    public async Task Another_writers_commit_is_seen_once_what_is_known_is_older_than_asked()
    {
        await using var test = await TestLake.CreateAsync(LakeMode.Production);
        var ct = TestContext.Current.CancellationToken;
        await using var reader = await Lakehouse.OpenAsync(test.Settings, ct);
        var known = await reader.LatestAsync(LongAgo, ct);

        await using (var writer = await Lakehouse.OpenAsync(test.Settings with { WorkDirectory = Path.Combine(test.WorkDirectory, "writer") }, ct))
            await writer.CreateTableAsync("main", "events", "k INTEGER");

        Assert.Equal(known.Id, (await reader.LatestAsync(LongAgo, ct)).Id);
        Assert.Equal(known.Id + 1, (await reader.LatestAsync(TimeSpan.Zero, ct)).Id);
    }
}
