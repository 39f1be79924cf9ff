using System.Text.RegularExpressions;

namespace Auraison.DataPlane.Tenancy;

/// <summary>What a tenant id may look like: a UUID or a short slug, safe in paths and SQL literals.</summary>
public static partial class TenantIds
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex Shape();

    /// <summary>Null when the id is acceptable, otherwise why not.</summary>
    public static string? Problem(string? tenantId) => tenantId switch
    {
        null or "" => "tenant_id is required",
        _ when !Shape().IsMatch(tenantId) => "tenant_id must be 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit",
        _ => null,
    };
}
