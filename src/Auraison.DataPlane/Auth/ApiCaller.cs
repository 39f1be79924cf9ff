namespace Auraison.DataPlane.Auth;

/// <summary>Who is calling: a key (with its tenant, or none for a management key) and what it may do.</summary>
public sealed record ApiCaller(string Id, string? Tenant, IReadOnlySet<string> Scopes)
{
    public bool IsManagement => Tenant is null;

    /// <summary>admin implies every scope.</summary>
    public bool Has(string scope) => Scopes.Contains(scope) || Scopes.Contains(ApiScopes.Admin);

    /// <summary>A tenant key acts for its own tenant; a management key for any.</summary>
    public bool CanActFor(string tenant) => IsManagement || string.Equals(Tenant, tenant, StringComparison.Ordinal);
}

public static class ApiScopes
{
    public const string Ingest = "ingest";
    public const string Query = "query";
    public const string Retrieve = "retrieve";
    public const string Snapshots = "snapshots";
    public const string Policy = "policy";
    public const string Admin = "admin";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Ingest, Query, Retrieve, Snapshots, Policy, Admin };
}

public static class CallerExtensions
{
    /// <summary>The authenticated caller of this request (set by the scope filter before any handler runs).</summary>
    public static ApiCaller Caller(this HttpContext http) =>
        http.Items[typeof(ApiCaller)] as ApiCaller ?? throw new InvalidOperationException("The endpoint has no scope requirement.");
}
