using System.Globalization;
using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Auraison.DataPlane.Retrieval;

public static class RetrievalApi
{
    private const string MetadataPrefix = "meta.";
    private const int MaxTopK = 100;

    public static RouteGroupBuilder MapRetrieval(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/data").WithTags("Retrieval");
        group.MapGet("/retrieve", RetrieveAsync).RequireScope(ApiScopes.Retrieve)
            .WithSummary("The rows most relevant to a natural-language query, best first: vector, keyword or hybrid (RRF) ranking.")
            .WithDescription("Metadata filters are query parameters named meta.<field>, e.g. meta.status=failed. " +
                             "The Server-Timing header splits the time into embedding the query (embed) and searching (search).");
        group.MapGet("/retrieve/status", StatusAsync).RequireScope(ApiScopes.Retrieve).WithSummary("Indexer lag: requests waiting to be embedded, the oldest one's age, documents indexed.");
        group.MapGet("/retrieval/sources", SourcesAsync).RequireScope(ApiScopes.Retrieve).WithSummary("Which tables are retrievable and how their rows become text.");
        group.MapPut("/retrieval/sources", ReplaceSourcesAsync).RequireScope(ApiScopes.Admin).WithSummary("Replace the retrievable tables; rows already stored in new ones are indexed too.");
        return group;
    }

    public sealed record RetrieveParameters
    {
        [FromQuery(Name = "query")] public string? Query { get; init; }
        [FromQuery(Name = "tenant_id")] public string? TenantId { get; init; }
        [FromQuery(Name = "top_k")] public int? TopK { get; init; }
        [FromQuery(Name = "mode")] public string? Mode { get; init; }
        [FromQuery(Name = "table")] public string? Table { get; init; }
        [FromQuery(Name = "from")] public string? From { get; init; }
        [FromQuery(Name = "to")] public string? To { get; init; }
    }

    public sealed record Hit(string Id, string Text, double Score, Dictionary<string, object?> Metadata);

    public sealed record SourceBody(string? Table, string? TextTemplate, List<string>? MetadataFields, string? TimeField);

    /// <summary>What a search found, and how long embedding the query and searching took.</summary>
    internal sealed record Found(List<Hit> Hits, TimeSpan Embedding, TimeSpan Search);

    private static async Task<Results<Ok<List<Hit>>, ProblemHttpResult>> RetrieveAsync([AsParameters] RetrieveParameters parameters, HttpRequest request,
        RetrievalService retrieval, PolicyStore policies, LakeAccessor lakes, CancellationToken cancellationToken)
    {
        var metadata = request.Query.Where(q => q.Key.StartsWith(MetadataPrefix, StringComparison.Ordinal))
            .ToDictionary(q => q.Key[MetadataPrefix.Length..], q => q.Value.ToString(), StringComparer.Ordinal);
        var searched = (await SearchAsync(request.HttpContext, parameters, metadata, retrieval, policies, lakes, cancellationToken)).Result;
        if (searched is not Ok<Found> { Value: { } found }) return (ProblemHttpResult)searched;
        // Callers (and the benchmark) can tell the embedding model's share of the latency from the search's.
        request.HttpContext.Response.Headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture,
            $"embed;dur={found.Embedding.TotalMilliseconds:0.0}, search;dur={found.Search.TotalMilliseconds:0.0}");
        return TypedResults.Ok(found.Hits);
    }

    /// <summary>A search for the caller's tenant: the parameters and metadata filters (field → value) checked, then ranked.</summary>
    internal static async Task<Results<Ok<Found>, ProblemHttpResult>> SearchAsync(HttpContext http, RetrieveParameters parameters,
        IReadOnlyDictionary<string, string> metadata, RetrievalService retrieval, PolicyStore policies, LakeAccessor lakes, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, parameters.TenantId) is { } denied) return denied;
        if (string.IsNullOrWhiteSpace(parameters.Query) || parameters.Query.Length > 2000) return Problems.BadRequest("query is required (at most 2000 characters).");
        if (parameters.TopK is < 1 or > MaxTopK) return Problems.BadRequest($"top_k must be between 1 and {MaxTopK}.");
        if (!Enum.TryParse<SearchMode>(parameters.Mode ?? "hybrid", ignoreCase: true, out var mode) || int.TryParse(parameters.Mode, out _))
            return Problems.BadRequest("mode must be vector, keyword or hybrid.");
        string[]? tables = null;
        if (parameters.Table is not null)
        {
            if (!Identifiers.TryParseTable(parameters.Table, out var table, out var problem, allowReservedSchema: true))
                return Problems.BadRequest($"Invalid table: {problem}.");
            tables = [table.ToString()];
        }
        if (RequestValues.Time(parameters.From, "from", out var from) is { } fromProblem) return fromProblem;
        if (RequestValues.Time(parameters.To, "to", out var to) is { } toProblem) return toProblem;
        foreach (var field in metadata.Keys)
            if (Identifiers.FieldProblem(field) is { } fieldProblem && !field.StartsWith(Identifiers.ReservedPrefix, StringComparison.Ordinal))
                return Problems.BadRequest($"Invalid metadata filter: {fieldProblem}.");

        // The tenant's policy narrows retrieval to the tables it may read, like SQL and table listing.
        var policy = await policies.GetAsync(parameters.TenantId!, cancellationToken);
        if (tables?.FirstOrDefault(t => !policy.Allows(Parse(t))) is { } forbidden)
            return Problems.Forbidden($"Table {forbidden} is not allowed by this tenant's policy.");
        if (tables is null && policy.AllowedTables is not null)
            tables = (await RetrievalSources.ListAsync(await lakes.GetAsync(cancellationToken), cancellationToken))
                .Select(s => s.Table).Where(t => policy.Allows(Parse(t))).ToArray();
        if (tables is { Length: 0 }) return TypedResults.Ok(new Found([], TimeSpan.Zero, TimeSpan.Zero));
        var search = new VectorSearch(parameters.TenantId!, parameters.Query, null, tables, from, to, metadata.ToDictionary(StringComparer.Ordinal));
        var result = await retrieval.SearchAsync(search, mode, parameters.TopK ?? 10, cancellationToken);
        return TypedResults.Ok(new Found(result.Hits.Select(h => new Hit(h.Id, h.Text, h.Score, h.Metadata)).ToList(), result.Embedding, result.Search));
    }

    private static async Task<Results<Ok<RetrievalService.Status>, ProblemHttpResult>> StatusAsync(HttpContext http,
        [FromQuery(Name = "tenant_id")] string? tenantId, RetrievalService retrieval, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        return TypedResults.Ok(await retrieval.StatusAsync(tenantId!, cancellationToken));
    }

    /// <summary>All sources for a management key without a tenant; for a tenant, those of the tables it can see.</summary>
    private static async Task<Results<Ok<List<RetrievalSource>>, ProblemHttpResult>> SourcesAsync(HttpContext http,
        [FromQuery(Name = "tenant_id")] string? tenantId, LakeAccessor lakes, PolicyStore policies, Tables.TableListings listings,
        CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        var sources = await RetrievalSources.ListAsync(lake, cancellationToken);
        if (tenantId is null && http.Caller().Tenant is null) return TypedResults.Ok(sources);
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        var policy = await policies.GetAsync(tenantId!, cancellationToken);
        var visible = (await listings.GetAsync(lake, tenantId!, policy, cancellationToken)).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return TypedResults.Ok(sources.Where(s => visible.Contains(s.Table)).ToList());
    }

    private static async Task<Results<Ok<List<RetrievalSource>>, ProblemHttpResult>> ReplaceSourcesAsync(List<SourceBody>? body, LakeAccessor lakes,
        CancellationToken cancellationToken)
    {
        if (body is null) return Problems.BadRequest("The body must be a list of sources: [{table, text_template, metadata_fields, time_field}].");
        List<RetrievalSource> sources = [];
        foreach (var item in body)
        {
            if (!Identifiers.TryParseTable(item.Table, out var table, out var problem, allowReservedSchema: true))
                return Problems.BadRequest($"Invalid table: {problem}.");
            if (string.IsNullOrWhiteSpace(item.TextTemplate)) return Problems.BadRequest($"text_template is required for {table}.");
            var source = new RetrievalSource(table.ToString(), item.TextTemplate, item.MetadataFields ?? [], item.TimeField);
            if (source.TemplateFields.Concat(source.MetadataFields).FirstOrDefault(f => Identifiers.FieldProblem(f) is not null) is { } bad)
                return Problems.BadRequest($"'{bad}' is not a field name.");
            sources.Add(source);
        }
        if (sources.Select(s => s.Table).Distinct(StringComparer.Ordinal).Count() != sources.Count) return Problems.BadRequest("A table is listed twice.");
        var lake = await lakes.GetAsync(cancellationToken);
        await RetrievalSources.ReplaceAsync(lake, sources, cancellationToken);
        return TypedResults.Ok(await RetrievalSources.ListAsync(lake, cancellationToken));
    }

    private static TableName Parse(string table)
    {
        Identifiers.TryParseTable(table, out var name, out _, allowReservedSchema: true);
        return name;
    }
}
