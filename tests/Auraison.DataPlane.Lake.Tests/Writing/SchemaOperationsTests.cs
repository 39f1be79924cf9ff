using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Lake.Tests.Writing;

public class SchemaOperationsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Tables_created_in_one_commit_in_a_new_schema_share_one_schema_row(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, Ct);

        await lake.CommitAsync(async (commit, token) =>
        {
            foreach (var name in new[] { "a", "b", "c" })
                await commit.EnsureTableAsync("event_log", name, [new ColumnDefinition("n", LakeType.ParseDuckDb("BIGINT"))], [], token);
            return 0;
        }, Ct);

        var schemas = await lake.CatalogRowsAsync("SELECT schema_id FROM ducklake_schema WHERE schema_name = 'event_log'");
        var schemaId = Assert.Single(schemas)[0];
        Assert.Equal([[schemaId], [schemaId], [schemaId]], await lake.CatalogRowsAsync("SELECT schema_id FROM ducklake_table ORDER BY table_id"));
        Assert.Equal(["created_schema:\"event_log\",created_table:\"event_log\".\"a\",created_table:\"event_log\".\"b\",created_table:\"event_log\".\"c\""],
            (await lake.CatalogRowsAsync("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = 1")).Select(r => r[0]));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Duplicate_live_schema_rows_are_merged_on_open_in_a_commit_of_their_own(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        long snapshotBefore;
        await using (var lake = await Lakehouse.OpenAsync(test.Settings, Ct))
        {
            var a = await lake.CreateTableAsync("event_log", "a", "n BIGINT");
            var b = await lake.CreateTableAsync("event_log", "b", "n BIGINT");
            await lake.AppendAsync(a, "SELECT 1 AS n");
            await lake.AppendAsync(b, "SELECT 2 AS n");
            // What older engine versions wrote: a second live row for the same schema, created in the same snapshot, owning table b.
            var schema = (await lake.CatalogRowsAsync("SELECT schema_id, begin_snapshot, path FROM ducklake_schema WHERE schema_name = 'event_log'")).Single();
            await lake.CatalogRowsAsync(
                "INSERT INTO ducklake_schema VALUES (100, '01a23000-0000-7000-8000-000000000001', $1, NULL, 'event_log', $2, true)", schema[1], schema[2]);
            await lake.CatalogRowsAsync("UPDATE ducklake_table SET schema_id = 100 WHERE table_id = $1", b.Id);
            snapshotBefore = (long)(await lake.CatalogRowsAsync("SELECT max(snapshot_id) FROM ducklake_snapshot")).Single()[0]!;
        }

        await using var reopened = await Lakehouse.OpenAsync(test.Settings, Ct);

        Assert.Equal([$"schema 'event_log': rows 100 merged into 1 (snapshot {snapshotBefore + 1})"], reopened.Repairs);
        Assert.Equal([[1L]], await reopened.CatalogRowsAsync("SELECT schema_id FROM ducklake_schema WHERE schema_name = 'event_log'"));
        Assert.Equal([[1L], [1L]], await reopened.CatalogRowsAsync("SELECT schema_id FROM ducklake_table WHERE schema_id <> 0 ORDER BY table_id"));
        var repair = (await reopened.CatalogRowsAsync(
            "SELECT c.commit_message, c.changes_made, s.schema_version > (SELECT schema_version FROM ducklake_snapshot WHERE snapshot_id = $1) " +
            "FROM ducklake_snapshot s JOIN ducklake_snapshot_changes c USING (snapshot_id) WHERE s.snapshot_id = $2", snapshotBefore, snapshotBefore + 1)).Single();
        Assert.Equal(["repair: merge duplicate schema rows", "altered_table:3", true], repair);
        Assert.Equal(["""{"n":1}""", """{"n":2}"""], await reopened.QueryJsonAsync("SELECT n FROM event_log.a UNION ALL SELECT n FROM event_log.b ORDER BY n"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_catalog_without_duplicates_opens_without_a_repair_commit(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using (var lake = await Lakehouse.OpenAsync(test.Settings, Ct))
            await lake.CreateTableAsync("event_log", "a", "n BIGINT");

        await using var reopened = await Lakehouse.OpenAsync(test.Settings, Ct);

        Assert.Empty(reopened.Repairs);
        Assert.Equal([[1L]], await reopened.CatalogRowsAsync("SELECT max(snapshot_id) FROM ducklake_snapshot"));
    }
}
