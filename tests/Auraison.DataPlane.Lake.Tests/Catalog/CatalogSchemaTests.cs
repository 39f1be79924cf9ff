using System.Data.Common;
using Auraison.DataPlane.Lake.Catalog;

namespace Auraison.DataPlane.Lake.Tests.Catalog;

public class CatalogSchemaTests
{
    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task An_empty_database_gets_every_spec_table_with_the_spec_column_order(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, TestContext.Current.CancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(TestContext.Current.CancellationToken);

        foreach (var (table, expectedColumns) in SpecTables.Columns)
        {
            var columns = await connection.QueryAsync(null,
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                r => r.GetString(0), TestContext.Current.CancellationToken, table);
            Assert.Equal(expectedColumns, columns);
        }
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_new_catalog_holds_the_spec_seed_rows(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, TestContext.Current.CancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(TestContext.Current.CancellationToken);
        var ct = TestContext.Current.CancellationToken;

        var snapshot = await connection.QueryAsync(null,
            "SELECT snapshot_id, schema_version, next_catalog_id, next_file_id FROM ducklake_snapshot", Row, ct);
        Assert.Equal([[0L, 0L, 1L, 0L]], snapshot);
        Assert.Equal("created_schema:\"main\"",
            await connection.ScalarAsync<string>(null, "SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = 0", ct));
        var schema = await connection.QueryAsync(null,
            "SELECT schema_id, begin_snapshot, end_snapshot, schema_name, path, path_is_relative FROM ducklake_schema", Row, ct);
        Assert.Equal([[0L, 0L, null, "main", "main/", true]], schema);
        var metadata = await connection.QueryAsync(null,
            "SELECT key, value FROM ducklake_metadata WHERE scope IS NULL ORDER BY key", r => (r.GetString(0), r.GetString(1)), ct);
        Assert.Equal(["created_by", "data_path", "encrypted", "version"], metadata.Select(m => m.Item1));
        Assert.Contains(("version", "1.0"), metadata);
        Assert.Contains(("encrypted", "false"), metadata);
        Assert.Contains(("data_path", lake.DataPath), metadata);
        Assert.EndsWith("/", lake.DataPath, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Opening_an_existing_catalog_twice_keeps_one_set_of_seed_rows(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await (await Lakehouse.OpenAsync(test.Settings, ct)).DisposeAsync();
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        await using var connection = await lake.Catalog.OpenAsync(ct);

        Assert.Equal(1, await connection.ScalarAsync<long>(null, "SELECT count(*) FROM ducklake_snapshot", ct));
        Assert.Equal(4, await connection.ScalarAsync<long>(null, "SELECT count(*) FROM ducklake_metadata", ct));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_catalog_of_another_version_is_refused_with_the_version_named(LakeMode mode)
    {
        await using var test = await TestLake.CreateAsync(mode);
        var ct = TestContext.Current.CancellationToken;
        await using (var lake = await Lakehouse.OpenAsync(test.Settings, ct))
        await using (var connection = await lake.Catalog.OpenAsync(ct))
            await connection.ExecuteAsync(null, "UPDATE ducklake_metadata SET value = '0.3' WHERE key = 'version'", ct);

        var refused = await Assert.ThrowsAsync<CatalogVersionException>(() => Lakehouse.OpenAsync(test.Settings, ct));
        Assert.Contains("'0.3'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("1.0", refused.Message, StringComparison.Ordinal);
    }

    private static object?[] Row(DbDataReader reader) =>
        Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i)).ToArray();
}
