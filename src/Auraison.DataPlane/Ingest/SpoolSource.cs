using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// The DuckDB SELECT that reads spooled requests as rows of a table: DuckDB's JSON reader parses each record straight
/// into the columns' types, and each row gets its request's lineage and its position in the request.
/// </summary>
public static class SpoolSource
{
    /// <summary>
    /// The rows of one request's spool, or of a spool that combines several of one tenant (<see cref="RequestSpool.Combine"/>,
    /// each line carrying its request's place in <paramref name="requests"/>): each field read into the tenant's column for it.
    /// </summary>
    public static string For(LakeTable table, RequestSpool rows, IReadOnlyList<IngestCommand> requests)
    {
        var columns = TenantColumns.Of(table, requests[0].TenantId);
        var combined = requests.Count > 1;
        var types = string.Join(", ", columns.Select(c => $"{Literal(c.Field)}: {Literal(c.Stored.Type.ToDuckDb())}")
            .Prepend($"{Literal(RequestSpool.IndexField)}: 'BIGINT'")
            .Concat(combined ? [$"{Literal(RequestSpool.RequestField)}: 'BIGINT'"] : []));
        // JSON values keep the caller's formatting in the reader; json() stores them minified, as one value has one text.
        var values = columns.Select(c => (c.Stored.Type.Name == "json" ? $"json(r.{Identifier(c.Field)})" : $"r.{Identifier(c.Field)}") + $" AS {Identifier(c.Stored.Name)}")
            .Append($"r.{Identifier(RequestSpool.IndexField)} AS {Identifier(Lineage.RecordIndex)}");
        var read = $"read_json({Literal(rows.Path)}, format = 'newline_delimited', columns = {{{types}}}, maximum_object_size = 268435456) AS r";
        if (!combined)
            return $"SELECT {string.Join(", ", values.Concat(LineageValues(requests[0]).Zip(LineageColumns, (v, c) => $"{v} AS {Identifier(c)}")))} FROM {read}";
        var lineage = string.Join(", ", requests.Select((command, i) =>
            "(" + string.Join(", ", LineageValues(command).Prepend(i.ToString(System.Globalization.CultureInfo.InvariantCulture))) + ")"));
        var names = string.Join(", ", LineageColumns.Prepend("request").Select(Identifier));
        return $"SELECT {string.Join(", ", values.Concat(LineageColumns.Select(c => $"l.{Identifier(c)}")))} FROM {read} " +
               $"JOIN (VALUES {lineage}) AS l({names}) ON l.request = r.{Identifier(RequestSpool.RequestField)}";
    }

    /// <summary>A columnar body's rows: its columns into the tenant's columns of the same field (DuckDB casts them), with the request's lineage.</summary>
    public static string For(LakeTable table, ParquetSpool body, IngestCommand command)
    {
        var values = body.Columns.Select(c => (Body: c.Name, Column: TenantColumns.Find(table, command.TenantId, c.Name)))
            .Where(c => c.Column is not null).Select(c => $"src.{Identifier(c.Body)} AS {Identifier(c.Column!.Stored.Name)}")
            .Append($"src.file_row_number AS {Identifier(Lineage.RecordIndex)}")
            .Concat(LineageValues(command).Zip(LineageColumns, (v, c) => $"{v} AS {Identifier(c)}"));
        return $"SELECT {string.Join(", ", values)} FROM ({body.Source}) AS src";
    }

    /// <summary>Columns whose value every row of one request shares: they decide its partition without reading the rows.</summary>
    public static IReadOnlyDictionary<string, object> Constants(IngestCommand command) => new Dictionary<string, object>
    {
        [Lineage.TenantId] = command.TenantId,
        [Lineage.IngestedAt] = command.ReceivedAt,
    };

    private static readonly string[] LineageColumns = [Lineage.TenantId, Lineage.JobId, Lineage.SchemaVersion, Lineage.PartitionId, Lineage.IngestedAt];

    /// <summary>The request's lineage values, in the order of <see cref="LineageColumns"/>.</summary>
    private static IEnumerable<string> LineageValues(IngestCommand command) =>
    [
        Literal(command.TenantId),
        Literal(command.JobId),
        Literal(command.SchemaVersion),
        $"CAST({Literal(command.PartitionId.ToString())} AS UUID)",
        $"CAST({Literal(CatalogReader.Timestamp(command.ReceivedAt))} AS TIMESTAMPTZ)",
    ];
}
