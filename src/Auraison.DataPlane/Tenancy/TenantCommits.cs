using System.Text.Json;

namespace Auraison.DataPlane.Tenancy;

/// <summary>
/// Which tenants a commit was made for, kept in its <c>commit_extra_info</c> (<c>{"tenants": [...]}</c>): a tenant's
/// view of the lake's history shows its own commits, and of the others only the shared ones (no tenants).
/// </summary>
public static class TenantCommits
{
    public static string Of(params IEnumerable<string> tenants) =>
        JsonSerializer.Serialize(new Dictionary<string, string[]> { ["tenants"] = [.. tenants.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)] });

    /// <summary>The tenants a commit was made for; null for a commit made for none (shared), or by another writer.</summary>
    public static IReadOnlySet<string>? Parse(string? extraInfo)
    {
        if (string.IsNullOrEmpty(extraInfo)) return null;
        try
        {
            using var document = JsonDocument.Parse(extraInfo);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("tenants", out var tenants)
                   && tenants.ValueKind == JsonValueKind.Array
                ? tenants.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToHashSet(StringComparer.Ordinal)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
