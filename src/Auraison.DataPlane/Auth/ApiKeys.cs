using System.Security.Cryptography;
using System.Text;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;

namespace Auraison.DataPlane.Auth;

/// <summary>
/// API keys <c>dpk_&lt;id&gt;_&lt;secret&gt;</c>: the catalog stores the id and a SHA-256 of the 256-bit random secret,
/// never the secret. The <see cref="Authenticator"/> keeps a key found for a second, so a revocation holds at once
/// on the replica that made it and within that second on the others.
/// </summary>
public static class ApiKeys
{
    private const string Prefix = "dpk_";

    public sealed record KeyInfo(string KeyId, string? TenantId, IReadOnlyList<string> Scopes, string? Name, DateTimeOffset CreatedAt,
        string? CreatedBy, DateTimeOffset? RevokedAt);

    public static async Task<(string Key, KeyInfo Info)> CreateAsync(Lakehouse lake, string? tenant, IReadOnlyList<string> scopes, string? name,
        string createdBy, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = DateTimeOffset.UtcNow;
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(null,
            "INSERT INTO dataplane_api_keys VALUES ($1, $2, $3, $4, $5, CAST($6 AS TIMESTAMP WITH TIME ZONE), $7, NULL)", cancellationToken,
            id, Hash(secret), tenant, string.Join(",", scopes), name, CatalogReader.Timestamp(now), createdBy);
        return ($"{Prefix}{id}_{secret}", new KeyInfo(id, tenant, scopes, name, now, createdBy, null));
    }

    /// <summary>The live key that <paramref name="presented"/> is, or null for unknown, malformed or revoked keys.</summary>
    public static async Task<ApiCaller?> ResolveAsync(Lakehouse lake, string presented, CancellationToken cancellationToken)
    {
        if (!presented.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var parts = presented[Prefix.Length..].Split('_', 2);
        if (parts.Length != 2) return null;
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync(null,
            "SELECT secret_hash, tenant_id, scopes FROM dataplane_api_keys WHERE key_id = $1 AND revoked_at IS NULL",
            r => (Hash: r.GetString(0), Tenant: r.NullableString(1), Scopes: r.GetString(2)), cancellationToken, parts[0]);
        if (rows.Count != 1) return null;
        var stored = Encoding.ASCII.GetBytes(rows[0].Hash);
        if (!CryptographicOperations.FixedTimeEquals(stored, Encoding.ASCII.GetBytes(Hash(parts[1])))) return null;
        return new ApiCaller(parts[0], rows[0].Tenant, rows[0].Scopes.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal));
    }

    public static async Task<List<KeyInfo>> ListAsync(Lakehouse lake, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.QueryAsync(null,
            "SELECT key_id, tenant_id, scopes, name, CAST(created_at AS VARCHAR), created_by, CAST(revoked_at AS VARCHAR) FROM dataplane_api_keys ORDER BY created_at",
            r => new KeyInfo(r.GetString(0), r.NullableString(1), r.GetString(2).Split(',', StringSplitOptions.RemoveEmptyEntries), r.NullableString(3),
                DateTimeOffset.Parse(r.GetString(4), System.Globalization.CultureInfo.InvariantCulture), r.NullableString(5),
                r.NullableString(6) is { } revoked ? DateTimeOffset.Parse(revoked, System.Globalization.CultureInfo.InvariantCulture) : null),
            cancellationToken);
    }

    /// <summary>Revokes a key; false when there is no such live key.</summary>
    public static async Task<bool> RevokeAsync(Lakehouse lake, string keyId, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(null,
            "UPDATE dataplane_api_keys SET revoked_at = CAST($1 AS TIMESTAMP WITH TIME ZONE) WHERE key_id = $2 AND revoked_at IS NULL",
            cancellationToken, CatalogReader.Timestamp(DateTimeOffset.UtcNow), keyId) == 1;
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
