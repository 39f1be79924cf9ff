using System.Text.Json.Nodes;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Lake.Tests.Reading;

/// <summary>The engine reads lakes written by the stock extension exactly as the extension reads them, at every snapshot.</summary>
public class FixtureLakeTests
{
    public static TheoryData<string> Fixtures => new(FixtureLakes.Names);

    [Theory, MemberData(nameof(Fixtures))]
    public async Task Every_snapshot_of_a_stock_lake_reads_back_the_expected_rows(string fixture)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(LakeMode.Embedded);
        var folder = FixtureLakes.CopyTo(fixture, Path.Combine(test.WorkDirectory, fixture));
        var expected = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "expected.json"), ct))!;
        await using var lake = await Lakehouse.OpenAsync(
            new LakeSettings { WorkDirectory = test.WorkDirectory, CatalogFile = Path.Combine(folder, "catalog.ducklake") }, ct);
        var reader = new LakeReader(lake);

        foreach (var snapshot in expected["snapshots"]!.AsArray())
        {
            var id = snapshot!["snapshot_id"]!.GetValue<long>();
            var content = await reader.ReadAsync(SnapshotSelector.ById(id), ct);
            var expectedTables = snapshot["tables"]!.AsObject();
            Assert.Equal(expectedTables.Select(t => t.Key).Order(), content.Tables.Select(t => t.QualifiedName).Order());

            await using var duck = await QueryDatabase.OpenAsync(ct);
            await reader.CreateViewsAsync(duck, content, ct);
            foreach (var (name, rows) in expectedTables)
            {
                var actual = await QueryDatabase.RowsAsJsonAsync(duck, name, ct);
                Assert.True(JsonNode.DeepEquals(rows, actual),
                    $"{fixture} snapshot {id} table {name}: expected {rows!.AsArray().Count} rows, got {actual.Count}; first difference: " +
                    FirstDifference(rows.AsArray(), actual));
            }
        }
    }

    private static string FirstDifference(JsonArray expected, JsonArray actual)
    {
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var e = i < expected.Count ? expected[i]?.ToJsonString() : "(none)";
            var a = i < actual.Count ? actual[i]?.ToJsonString() : "(none)";
            if (e != a) return $"row {i}: expected {e} got {a}";
        }
        return "none";
    }
}

/// <summary>An in-memory DuckDB to read views with, in UTC like the fixtures' expected values.</summary>
internal static class QueryDatabase
{
    public static async Task<DuckDBConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SET TimeZone = 'UTC'";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>Rows of a table ordered by all columns, as JSON objects (DuckDB's own JSON rendering of each value).</summary>
    public static async Task<JsonArray> RowsAsJsonAsync(DuckDBConnection connection, string qualifiedName, CancellationToken cancellationToken)
    {
        var parts = qualifiedName.Split('.', 2);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT CAST(to_json(t) AS VARCHAR) FROM (SELECT * FROM \"{parts[0]}\".\"{parts[1]}\" ORDER BY ALL) t";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new JsonArray();
        while (await reader.ReadAsync(cancellationToken)) rows.Add(JsonNode.Parse(reader.GetString(0)));
        return rows;
    }
}
