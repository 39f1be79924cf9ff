using System.Text.Json;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Ingest;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Features;

/// <summary>
/// The rows of a historical retrieval sent as Parquet (a training set's spine, as pandas or pyarrow write it): read by
/// DuckDB into JSON objects, timestamps as ISO-8601, so they take the same path as rows sent as JSON.
/// </summary>
public sealed class SpineReader(IngestService ingest, LakeAccessor lakes)
{
    public async Task<List<JsonElement>> ReadParquetAsync(Stream body, CancellationToken cancellationToken)
    {
        using var spool = await ingest.SpoolParquetAsync(body, cancellationToken);
        var lake = await lakes.GetAsync(cancellationToken);
        await using var work = lake.OpenWorkConnection();
        await using var command = work.CreateCommand();
        var timestamps = spool.Columns.Where(c => c.Type.ToDuckDb().StartsWith("TIMESTAMP", StringComparison.Ordinal))
            .Select(c => $"strftime(CAST({Identifier(c.Name)} AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%fZ') AS {Identifier(c.Name)}").ToList();
        command.CommandText = $"SELECT CAST(to_json(r) AS VARCHAR) FROM (SELECT *{(timestamps.Count == 0 ? "" : $" REPLACE ({string.Join(", ", timestamps)})")} " +
                              $"FROM read_parquet({Literal(spool.Path)})) AS r";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        List<JsonElement> rows = [];
        while (await reader.ReadAsync(cancellationToken)) rows.Add(JsonDocument.Parse(reader.GetString(0)).RootElement.Clone());
        return rows;
    }
}
