using System.Globalization;
using System.Text.Json;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Retrieval;

/// <summary>
/// Vectors in a DuckDB file for the embedded default: exact cosine search over fixed-size float arrays (no index to
/// starve a filter), and keyword search by term frequency.
/// </summary>
public sealed class DuckDbVectorStore : IVectorStore, IDisposable
{
    private readonly DuckDBConnection _root;

    public DuckDbVectorStore(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        Description = $"duckdb:{Path.GetFullPath(file)}";
        _root = new DuckDBConnection($"Data Source={Path.GetFullPath(file)}");
        _root.Open();
    }

    public string Description { get; }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await ExecuteAsync(connection, "SELECT 1", [], cancellationToken);
    }

    public async Task EnsureAsync(int dimensions, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await ExecuteAsync(connection,
            "CREATE TABLE IF NOT EXISTS vectors(id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, " +
            "partition_id UUID NOT NULL, record_index BIGINT NOT NULL, text VARCHAR NOT NULL, metadata JSON NOT NULL, occurred_at TIMESTAMPTZ, " +
            $"embedding FLOAT[{dimensions.ToString(CultureInfo.InvariantCulture)}] NOT NULL)", [], cancellationToken);
    }

    public async Task UpsertAsync(IReadOnlyList<VectorDocument> documents, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        foreach (var document in documents)
            await ExecuteAsync(connection,
                $"INSERT INTO vectors VALUES ($1, $2, $3, CAST($4 AS UUID), $5, $6, $7, CAST($8 AS TIMESTAMPTZ), {Vector(document.Embedding)}) ON CONFLICT (id) DO NOTHING",
                [document.Id, document.TenantId, document.Table, document.PartitionId.ToString(), document.RecordIndex, document.Text,
                    JsonSerializer.Serialize(document.Metadata), document.OccurredAt?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)],
                cancellationToken);
    }

    public async Task<IReadOnlyList<SearchHit>> NearestAsync(VectorSearch search, int limit, CancellationToken cancellationToken)
    {
        List<object?> args = [];
        var where = Filters(search, args);
        return await ReadHitsAsync(
            $"SELECT id, text, CAST(metadata AS VARCHAR), table_name, occurred_at, array_cosine_similarity(embedding, {Vector(search.QueryVector!)}) AS score " +
            $"FROM vectors WHERE {where} ORDER BY score DESC LIMIT {limit.ToString(CultureInfo.InvariantCulture)}", args, cancellationToken);
    }

    public async Task<IReadOnlyList<SearchHit>> KeywordAsync(VectorSearch search, int limit, CancellationToken cancellationToken)
    {
        var terms = SearchTerms.Of(search.QueryText);
        if (terms.Count == 0) return [];
        List<object?> args = [];
        var where = Filters(search, args);
        var termList = "[" + string.Join(", ", terms.Select(Literal)) + "]";
        return await ReadHitsAsync(
            $"""
             SELECT id, text, CAST(metadata AS VARCHAR), table_name, occurred_at,
                    list_sum(list_transform({termList}, term -> ln(1 + len(list_filter(words, w -> w = term))))) AS score
             FROM (SELECT *, regexp_split_to_array(lower(text), '[^a-z0-9]+') AS words FROM vectors WHERE {where})
             WHERE score > 0 AND len(list_filter({termList}, term -> list_contains(words, term))) >= {SearchTerms.MinimumMatches(terms.Count).ToString(CultureInfo.InvariantCulture)}
             ORDER BY score DESC LIMIT {limit.ToString(CultureInfo.InvariantCulture)}
             """, args, cancellationToken);
    }

    public async Task<long> CountAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using (var exists = Command(connection, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'vectors'", []))
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0) return 0;
        await using var command = Command(connection, "SELECT count(*) FROM vectors WHERE tenant_id = $1", [tenantId]);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public async Task<long> DeleteAsync(string tenantId, IReadOnlyCollection<Guid> partitionIds, CancellationToken cancellationToken)
    {
        if (partitionIds.Count == 0 || await CountAsync(tenantId, cancellationToken) == 0) return 0;
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = Command(connection,
            $"DELETE FROM vectors WHERE tenant_id = $1 AND CAST(partition_id AS VARCHAR) IN ({string.Join(", ", partitionIds.Select(p => Literal(p.ToString())))})",
            [tenantId]);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Vector(float[] values) =>
        "CAST([" + string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + $"] AS FLOAT[{values.Length.ToString(CultureInfo.InvariantCulture)}])";

    private static string Filters(VectorSearch search, List<object?> args)
    {
        string Arg(object? value)
        {
            args.Add(value);
            return "$" + args.Count.ToString(CultureInfo.InvariantCulture);
        }
        List<string> where = [$"tenant_id = {Arg(search.TenantId)}"];
        if (search.Tables is not null) where.Add($"table_name IN ({string.Join(", ", search.Tables.Select(Arg))})");
        if (search.From is { } from) where.Add($"occurred_at >= CAST({Arg(from.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture))} AS TIMESTAMPTZ)");
        if (search.To is { } to) where.Add($"occurred_at <= CAST({Arg(to.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture))} AS TIMESTAMPTZ)");
        foreach (var (key, value) in search.Metadata) where.Add($"json_extract_string(metadata, {Arg("$." + key)}) = {Arg(value)}");
        return string.Join(" AND ", where);
    }

    private async Task<List<SearchHit>> ReadHitsAsync(string sql, List<object?> args, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var command = Command(connection, sql, args);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        List<SearchHit> hits = [];
        while (await reader.ReadAsync(cancellationToken))
            hits.Add(new SearchHit(reader.GetString(0), reader.GetString(1), Convert.ToDouble(reader.GetValue(5), CultureInfo.InvariantCulture),
                SearchTerms.Metadata(reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(4), DateTimeKind.Utc)))));
        return hits;
    }

    private async Task<DuckDBConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = new DuckDBConnection(_root.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static DuckDBCommand Command(DuckDBConnection connection, string sql, IReadOnlyList<object?> args)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var arg in args) command.Parameters.Add(new DuckDBParameter(arg ?? DBNull.Value));
        return command;
    }

    private static async Task ExecuteAsync(DuckDBConnection connection, string sql, IReadOnlyList<object?> args, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, sql, args);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public void Dispose() => _root.Dispose();
}
