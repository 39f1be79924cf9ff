using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Tests.Reading;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Lake.Tests;

/// <summary>Small helpers so tests read as scenarios: write rows with DuckDB SQL, read them back through views.</summary>
internal static class LakeQueries
{
    public static async Task<LakeTable> CreateTableAsync(this Lakehouse lake, string schema, string name, string columns,
        params (string Column, PartitionTransform Transform)[] partitioning)
    {
        var definitions = LakeType.ParseDuckDb($"STRUCT({columns})").Children.Select(f => new ColumnDefinition(f.Name, f.Type)).ToList();
        var created = await lake.CommitAsync((c, ct) => c.EnsureTableAsync(schema, name, definitions, partitioning, ct), TestContext.Current.CancellationToken);
        return created.Value;
    }

    public static async Task<Committed<IReadOnlyList<long>>> AppendAsync(this Lakehouse lake, LakeTable table, string select)
    {
        await using var work = lake.OpenWorkConnection();
        return await lake.AppendAsync(work, table, select, TestContext.Current.CancellationToken);
    }

    /// <summary>Keeps the rows of a DuckDB SELECT in the catalog (data inlining), in one commit.</summary>
    public static async Task<Committed<long>> AppendInlinedAsync(this Lakehouse lake, LakeTable table, string select)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var work = lake.OpenWorkConnection();
        var rows = await InlinedRows.ReadAsync(work, table, select, lake.StagingDirectory, ct);
        return await lake.CommitAsync((commit, token) => commit.AppendInlinedAsync(table, rows, token), ct);
    }

    /// <summary>Each result row as DuckDB's JSON text, from the lake as of <paramref name="at"/> (latest by default).</summary>
    public static async Task<List<string>> QueryJsonAsync(this Lakehouse lake, string sql, SnapshotSelector? at = null)
    {
        var ct = TestContext.Current.CancellationToken;
        var content = await lake.ReadAsync(at ?? SnapshotSelector.Latest, ct);
        await using var duck = await QueryDatabase.OpenAsync(ct);
        await lake.Reader.CreateViewsAsync(duck, content, ct);
        await using var command = duck.CreateCommand();
        command.CommandText = $"SELECT CAST(to_json(q) AS VARCHAR) FROM ({sql}) q";
        await using var reader = await command.ExecuteReaderAsync(ct);
        List<string> rows = [];
        while (await reader.ReadAsync(ct)) rows.Add(reader.GetString(0));
        return rows;
    }

    public static async Task<long> CountAsync(this Lakehouse lake, string table, SnapshotSelector? at = null) =>
        long.Parse(System.Text.Json.JsonDocument.Parse((await lake.QueryJsonAsync($"SELECT count(*) AS n FROM {table}", at)).Single())
            .RootElement.GetProperty("n").GetRawText(), System.Globalization.CultureInfo.InvariantCulture);

    public static async Task<List<object?[]>> CatalogRowsAsync(this Lakehouse lake, string sql, params object?[] args)
    {
        await using var connection = await lake.Catalog.OpenAsync(TestContext.Current.CancellationToken);
        return await Auraison.DataPlane.Lake.Catalog.DbConnectionExtensions.QueryAsync(connection, null, sql,
            r => Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? null : r.GetValue(i)).ToArray(),
            TestContext.Current.CancellationToken, args);
    }
}
