using System.Globalization;
using System.Text.Json;
using Auraison.DataPlane.Query;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Objects;

/// <summary>One stored object as its row of <c>objects.registry</c> describes it.</summary>
public sealed record ObjectInfo(string Key, string Path, long SizeBytes, string Sha256, string ContentType, JsonElement? Metadata, string JobId,
    DateTimeOffset StoredAt)
{
    /// <summary>The entity tag: the content's SHA-256, quoted.</summary>
    public string ETag => $"\"{Sha256}\"";
}

/// <summary>
/// Reads <c>objects.registry</c>, the lake table with a row per stored object (written through the ingest path, so
/// it is tenant-scoped, versioned with the lake and queryable with SQL like any other table).
/// </summary>
public sealed class ObjectIndex(QuerySessions sessions)
{
    public static readonly TableName Table = new("objects", "registry");

    private static readonly HashSet<TableName> Reads = [Table];

    private const string Columns = $"key, path, size_bytes, sha256, content_type, CAST(metadata AS VARCHAR) AS metadata, {Lineage.JobId}, stored_at";

    /// <summary>The newest row of a key, if the tenant has that object; <paramref name="newerThan"/> asks for a snapshot after a known commit.</summary>
    public async Task<ObjectInfo?> FindAsync(string tenant, string key, CancellationToken cancellationToken, long newerThan = -1)
    {
        using var held = await LatestAsync(tenant, cancellationToken, newerThan);
        var rows = await QueryRunner.RunTrustedAsync(held.Session,
            $"SELECT {Columns} FROM objects.registry WHERE key = $1 ORDER BY stored_at DESC LIMIT 1", cancellationToken, key);
        return rows.Select(Read).SingleOrDefault();
    }

    /// <summary>Every row of a key (more than one only when writers raced to create it).</summary>
    public async Task<List<ObjectInfo>> AllVersionsAsync(string tenant, string key, CancellationToken cancellationToken)
    {
        using var held = await LatestAsync(tenant, cancellationToken);
        return (await QueryRunner.RunTrustedAsync(held.Session, $"SELECT {Columns} FROM objects.registry WHERE key = $1", cancellationToken, key))
            .Select(Read).ToList();
    }

    /// <summary>Objects whose key starts with <paramref name="prefix"/>, in key order, after <paramref name="after"/> (the previous page's last key).</summary>
    public async Task<List<ObjectInfo>> ListAsync(string tenant, string prefix, string? after, int limit, CancellationToken cancellationToken)
    {
        using var held = await LatestAsync(tenant, cancellationToken);
        var rows = await QueryRunner.RunTrustedAsync(held.Session,
            $"""
             SELECT {Columns} FROM objects.registry
             WHERE starts_with(key, $1) AND ($2 IS NULL OR key > $2)
             QUALIFY row_number() OVER (PARTITION BY key ORDER BY stored_at DESC) = 1
             ORDER BY key LIMIT {limit.ToString(CultureInfo.InvariantCulture)}
             """, cancellationToken, prefix, after);
        return rows.Select(Read).ToList();
    }

    /// <summary>Every row of the tenant's objects stored before <paramref name="before"/> (retention's list of what goes).</summary>
    public async Task<List<ObjectInfo>> StoredBeforeAsync(string tenant, DateTimeOffset before, CancellationToken cancellationToken)
    {
        using var held = await LatestAsync(tenant, cancellationToken);
        var rows = await QueryRunner.RunTrustedAsync(held.Session,
            $"SELECT {Columns} FROM objects.registry WHERE {Lineage.IngestedAt} < CAST($1 AS TIMESTAMPTZ)", cancellationToken,
            before.ToString("O", CultureInfo.InvariantCulture));
        return rows.Select(Read).ToList();
    }

    /// <summary>Bytes of the tenant's stored objects (they count toward its storage quota).</summary>
    public async Task<long> BytesAsync(string tenant, CancellationToken cancellationToken)
    {
        using var held = await LatestAsync(tenant, cancellationToken);
        var rows = await QueryRunner.RunTrustedAsync(held.Session, "SELECT CAST(coalesce(sum(size_bytes), 0) AS BIGINT) AS bytes FROM objects.registry",
            cancellationToken);
        return rows[0]["bytes"] is long bytes ? bytes : 0;
    }

    private Task<HeldSession> LatestAsync(string tenant, CancellationToken cancellationToken, long newerThan = -1) =>
        sessions.ForServiceAsync(tenant, Reads, cancellationToken, newerThan);

    private static ObjectInfo Read(Dictionary<string, object?> row) => new(
        (string)row["key"]!, (string)row["path"]!, Convert.ToInt64(row["size_bytes"], CultureInfo.InvariantCulture), (string)row["sha256"]!,
        (string)row["content_type"]!, row["metadata"] is string json ? JsonDocument.Parse(json).RootElement.Clone() : null,
        (string)row[Lineage.JobId]!,
        DateTimeOffset.Parse((string)row["stored_at"]!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));
}
