using Auraison.DataPlane.Lake.Model;

namespace Auraison.DataPlane.Lake.Tests.Reading;

public class PlanningSettingsTests
{
    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Every_connection_to_the_views_plans_without_the_common_subplan_optimizer(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "readings", "n BIGINT");
        await lake.AppendAsync(table, "SELECT 1 AS n");

        await using var duck = await QueryDatabase.OpenAsync(ct);
        await lake.Reader.CreateViewsAsync(duck, await lake.ReadAsync(SnapshotSelector.Latest, ct), ct);
        await using var other = duck.Duplicate();
        await other.OpenAsync(ct);

        await using var command = other.CreateCommand();
        command.CommandText = "SELECT current_setting('disabled_optimizers')";
        Assert.Contains("common_subplan", Convert.ToString(await command.ExecuteScalarAsync(ct)), StringComparison.OrdinalIgnoreCase);
    }
}
