using System.Globalization;
using System.Text.Json;
using Auraison.DataPlane.Lake.Catalog;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Datasets;

/// <summary>
/// A non-episodic corpus (detections for a classifier, say): the query's rows as Parquet shards of about the target
/// size, in the order the query gives them, and <c>manifest.json</c> with the schema, the shards' row counts, the lake
/// snapshot and the query.
/// </summary>
public static class ParquetManifestWriter
{
    public static async Task<List<WrittenFile>> WriteAsync(DuckDBConnection duck, DatasetPlan plan, long lakeSnapshotId, string directory,
        CancellationToken cancellationToken)
    {
        var query = plan.Sql!.Trim().TrimEnd(';');
        var data = Path.Combine(directory, "data");
        await duck.ExecuteAsync(null, $"COPY ({query}) TO {Literal(data)} (FORMAT parquet, FILE_SIZE_BYTES {plan.TargetFileBytes.ToString(CultureInfo.InvariantCulture)}, " +
                                "FILENAME_PATTERN 'part-{i}')", cancellationToken);
        List<WrittenFile> written = [];
        foreach (var shard in Directory.GetFiles(data, "*.parquet").OrderBy(ShardNumber))
            written.Add(new WrittenFile($"data/{Path.GetFileName(shard)}", await duck.ScalarAsync<long>(null, $"SELECT count(*) FROM read_parquet({Literal(shard)})", cancellationToken)));
        var schema = await duck.QueryAsync(null, $"SELECT column_name, column_type FROM (DESCRIBE {query})", r => (Name: r.GetString(0), Type: r.GetString(1)),
            cancellationToken);
        var manifest = new Dictionary<string, object?>
        {
            ["format"] = DatasetPlan.Parquet,
            ["name"] = plan.Name,
            ["lake_snapshot_id"] = lakeSnapshotId,
            ["query"] = query,
            ["schema"] = schema.Select(c => new Dictionary<string, string> { ["name"] = c.Name, ["type"] = c.Type }),
            ["total_rows"] = written.Sum(w => w.Rows),
            ["files"] = written.Select(w => new Dictionary<string, object> { ["path"] = w.RelativePath, ["rows"] = w.Rows,
                ["size"] = new FileInfo(Path.Combine(directory, w.RelativePath)).Length }),
        };
        await File.WriteAllTextAsync(Path.Combine(directory, "manifest.json"), JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }),
            cancellationToken);
        written.Add(new WrittenFile("manifest.json", 1));
        return written;
    }

    private static int ShardNumber(string path) =>
        int.Parse(Path.GetFileNameWithoutExtension(path)["part-".Length..], CultureInfo.InvariantCulture);
}
