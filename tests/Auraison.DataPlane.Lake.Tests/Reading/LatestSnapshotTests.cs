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

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_catalog_read_that_raced_a_commit_does_not_take_the_commits_snapshot_back(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "events", "k INTEGER");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Reads of the catalog that start before a commit and end after it, again and again.
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) await lake.LatestAsync(TimeSpan.Zero, ct);
        }, ct)).ToList();

        List<(long Committed, long Known)> seen = [];
        for (var i = 0; i < 40; i++)
        {
            var committed = await lake.AppendAsync(table, $"SELECT {i} AS k");
            seen.Add((committed.SnapshotId, (await lake.LatestAsync(LongAgo, ct)).Id));
        }
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        Assert.All(seen, s => Assert.True(s.Known >= s.Committed, $"knew {s.Known} after committing {s.Committed}"));
    }
}
