using System.Text.Json;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Schema;

namespace Auraison.DataPlane.Policy;

/// <summary>
/// A tenant's governance: how long rows live, which tables it may read (<c>schema.name</c>, <c>schema.*</c>, <c>*</c>),
/// and how much storage it may use. Absent fields mean no limit; a tenant without a policy has none.
/// </summary>
public sealed record TenantPolicy(string TenantId, int? RetentionDays, IReadOnlyList<string>? AllowedTables, double? MaxStorageGb)
{
    public long Version { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    public string? UpdatedBy { get; init; }

    public static TenantPolicy Open(string tenant) => new(tenant, null, null, null);

    public bool Allows(TableName table) => AllowedTables is null || AllowedTables.Any(pattern => Matches(pattern, table));

    public long? MaxStorageBytes => MaxStorageGb is { } gb ? (long)(gb * 1024 * 1024 * 1024) : null;

    /// <summary>A key that changes whenever what the policy allows could change.</summary>
    public string Key => $"v{Version}";

    public static bool Matches(string pattern, TableName table)
    {
        if (pattern == "*") return true;
        var parts = pattern.Split('.');
        var (schema, name) = parts.Length == 2 ? (parts[0], parts[1]) : (Identifiers.DefaultSchema, parts[0]);
        return string.Equals(schema, table.Schema, StringComparison.OrdinalIgnoreCase)
               && (name == "*" || string.Equals(name, table.Name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Null when the pattern is well formed, otherwise why not.</summary>
    public static string? PatternProblem(string pattern)
    {
        if (pattern == "*") return null;
        var candidate = pattern.EndsWith(".*", StringComparison.Ordinal) ? pattern[..^2] + ".any" : pattern;
        return Identifiers.TryParseTable(candidate, out _, out var problem, allowReservedSchema: true) ? null : $"'{pattern}': {problem}";
    }
}

/// <summary>
/// Policies in the catalog database: one current row per tenant, and an audit row per change (who, when, old → new).
/// Every request reads its tenant's policy, so a read is kept for <see cref="Reuse"/>: a change made through this
/// process applies at once, one made through another replica within that time.
/// </summary>
public sealed class PolicyStore(Hosting.LakeAccessor lakes, TimeProvider time)
{
    public static readonly TimeSpan Reuse = TimeSpan.FromSeconds(1);

    public sealed record AuditEntry(long Version, DateTimeOffset ChangedAt, string? ChangedBy, TenantPolicy? Old, TenantPolicy New);

    private readonly Hosting.RecentValues<string, TenantPolicy> _recent = new(time, Reuse);

    public async Task<TenantPolicy> GetAsync(string tenant, CancellationToken cancellationToken) =>
        (await _recent.GetAsync(tenant, async () => await ReadAsync(tenant, cancellationToken)))!;

    private async Task<TenantPolicy> ReadAsync(string tenant, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync(null,
            "SELECT policy, version, CAST(updated_at AS VARCHAR), updated_by FROM dataplane_policies WHERE tenant_id = $1",
            r => Parse(r.GetString(0)) with
            {
                Version = r.GetInt64(1),
                UpdatedAt = DateTimeOffset.Parse(r.GetString(2), System.Globalization.CultureInfo.InvariantCulture),
                UpdatedBy = r.NullableString(3),
            },
            cancellationToken, tenant);
        return rows.SingleOrDefault() ?? TenantPolicy.Open(tenant);
    }

    public async Task<List<TenantPolicy>> AllAsync(Lakehouse lake, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.QueryAsync(null, "SELECT policy, version FROM dataplane_policies ORDER BY tenant_id",
            r => Parse(r.GetString(0)) with { Version = r.GetInt64(1) }, cancellationToken);
    }

    /// <summary>Replaces the tenant's policy whole; the next request sees it.</summary>
    public async Task<TenantPolicy> PutAsync(TenantPolicy policy, string changedBy, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var old = (await connection.QueryAsync(transaction, "SELECT policy, version FROM dataplane_policies WHERE tenant_id = $1",
            r => (Policy: r.GetString(0), Version: r.GetInt64(1)), cancellationToken, policy.TenantId)).SingleOrDefault();
        var now = DateTimeOffset.UtcNow;
        var stored = policy with { Version = old.Version + 1, UpdatedAt = now, UpdatedBy = changedBy };
        var json = Serialize(stored);
        await connection.ExecuteAsync(transaction, "DELETE FROM dataplane_policies WHERE tenant_id = $1", cancellationToken, policy.TenantId);
        await connection.ExecuteAsync(transaction, "INSERT INTO dataplane_policies VALUES ($1, $2, $3, CAST($4 AS TIMESTAMP WITH TIME ZONE), $5)",
            cancellationToken, policy.TenantId, stored.Version, json, CatalogReader.Timestamp(now), changedBy);
        // The primary key on (tenant, version) turns a concurrent change into an error instead of a lost update.
        await connection.ExecuteAsync(transaction, "INSERT INTO dataplane_policy_audit VALUES ($1, $2, CAST($3 AS TIMESTAMP WITH TIME ZONE), $4, $5, $6)",
            cancellationToken, policy.TenantId, stored.Version, CatalogReader.Timestamp(now), changedBy, old.Policy, json);
        await transaction.CommitAsync(cancellationToken);
        _recent.Forget(policy.TenantId);
        return stored;
    }

    public async Task<List<AuditEntry>> AuditAsync(string tenant, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.QueryAsync(null,
            "SELECT version, CAST(changed_at AS VARCHAR), changed_by, old_policy, new_policy FROM dataplane_policy_audit WHERE tenant_id = $1 ORDER BY version",
            r => new AuditEntry(r.GetInt64(0), DateTimeOffset.Parse(r.GetString(1), System.Globalization.CultureInfo.InvariantCulture), r.NullableString(2),
                r.NullableString(3) is { } old ? Parse(old) : null, Parse(r.GetString(4))),
            cancellationToken, tenant);
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static string Serialize(TenantPolicy policy) =>
        JsonSerializer.Serialize(new { policy.TenantId, policy.RetentionDays, policy.AllowedTables, policy.MaxStorageGb }, Json);

    private static TenantPolicy Parse(string json) => JsonSerializer.Deserialize<TenantPolicy>(json, Json)!;
}
