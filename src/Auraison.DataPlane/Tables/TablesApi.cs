using System.Text.RegularExpressions;
using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Auraison.DataPlane.Tables;

public static partial class TablesApi
{
    public static RouteGroupBuilder MapTables(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/data/tables").WithTags("Tables");
        group.MapGet("", ListJsonAsync).RequireScope(ApiScopes.Query).Produces<IReadOnlyList<TableInfo>>(contentType: "application/json")
            .WithSummary("The tables the tenant can query, with columns, its row counts and last change.");
        group.MapGet("/{name}", GetAsync).RequireScope(ApiScopes.Query).WithSummary("One table (name or schema.name) as the tenant sees it.");
        group.MapPut("/{name}", DeclareAsync).RequireScope(ApiScopes.Admin)
            .WithSummary("Declare a table up front: columns, partitioning, and whether unknown fields are added or rejected.");
        group.MapPost("/{name}/files", RegisterFilesAsync).RequireScope(ApiScopes.Ingest)
            .WithSummary("Register Parquet files stored as the tenant's objects: their rows join the table in one snapshot.");
        return group;
    }

    public sealed record ColumnInfo(string Name, string Type);

    public sealed record LastChange(long LakeSnapshotId, DateTimeOffset At);

    public sealed record TableInfo(string Name, IReadOnlyList<ColumnInfo> Columns, long RowCount, LastChange? LastChange);

    public sealed record ColumnDeclaration(string? Name, string? Type);

    /// <summary>Body of <c>PUT /data/tables/{name}</c>.</summary>
    public sealed record TableDeclarationRequest(List<ColumnDeclaration>? Columns, List<string>? PartitionBy, string? UnknownFields);

    /// <summary>Body of <c>POST /data/tables/{name}/files</c>: object keys (or full paths of the tenant's objects).</summary>
    public sealed record RegisterFilesRequest(string? TenantId, string? JobId, List<string>? Files);

    public sealed record FilesRegistered(string Table, long RowCount, long LakeSnapshotId, Guid PartitionId, IReadOnlyList<FileRegistration.RegisteredFile> Files);

    [GeneratedRegex(@"^(year|month|day|hour)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)$", RegexOptions.IgnoreCase)]
    private static partial Regex TransformKey();

    /// <summary>The tenant's tables (for MCP tools).</summary>
    internal static Task<Results<Ok<IReadOnlyList<TableInfo>>, ProblemHttpResult>> ListAsync(HttpContext http, string? tenantId, LakeAccessor lakes,
        PolicyStore policies, TableListings listings, CancellationToken cancellationToken) =>
        ListedAsync(http, tenantId, lakes, policies, listings.GetAsync, TypedResults.Ok, cancellationToken);

    /// <summary>The listing's JSON as kept between commits (see <see cref="TableListings"/>): a list of <see cref="TableInfo"/>.</summary>
    private static Task<Results<FileContentHttpResult, ProblemHttpResult>> ListJsonAsync(HttpContext http,
        [FromQuery(Name = "tenant_id")] string? tenantId, LakeAccessor lakes, PolicyStore policies, TableListings listings,
        CancellationToken cancellationToken) =>
        ListedAsync(http, tenantId, lakes, policies, listings.GetJsonAsync, json => TypedResults.Bytes(json, "application/json"), cancellationToken);

    private static async Task<Results<TResult, ProblemHttpResult>> ListedAsync<TListing, TResult>(HttpContext http, string? tenantId, LakeAccessor lakes,
        PolicyStore policies, Func<Lakehouse, string, TenantPolicy, CancellationToken, Task<TListing>> list, Func<TListing, TResult> result,
        CancellationToken cancellationToken) where TResult : IResult
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        var lake = await lakes.GetAsync(cancellationToken);
        var policy = await policies.GetAsync(tenantId!, cancellationToken);
        return result(await list(lake, tenantId!, policy, cancellationToken));
    }

    internal static async Task<Results<Ok<TableInfo>, ProblemHttpResult>> GetAsync(HttpContext http, string name,
        [FromQuery(Name = "tenant_id")] string? tenantId, LakeAccessor lakes, PolicyStore policies, CancellationToken cancellationToken)
    {
        if (TenantAccess.Check(http, tenantId) is { } denied) return denied;
        if (!Identifiers.TryParseTable(name, out var table, out var nameProblem, allowReservedSchema: true))
            return Problems.BadRequest($"Invalid table: {nameProblem}.");
        if (!(await policies.GetAsync(tenantId!, cancellationToken)).Allows(table))
            return Problems.Forbidden($"Table {table} is not allowed by this tenant's policy.");
        var lake = await lakes.GetAsync(cancellationToken);
        var found = await DescribeAsync(lake, tenantId!, t => t == table, cancellationToken);
        return found.Count == 1 ? TypedResults.Ok(found[0]) : Problems.NotFound($"Table {table} does not exist.");
    }

    private static async Task<Results<Created<FilesRegistered>, ProblemHttpResult>> RegisterFilesAsync(HttpContext http, string name,
        RegisterFilesRequest request, FileRegistration registration, CancellationToken cancellationToken)
    {
        if (!Identifiers.TryParseTable(name, out var table, out var nameProblem)) return Problems.BadRequest($"Invalid table: {nameProblem}.");
        if (TenantAccess.Check(http, request.TenantId) is { } denied) return denied;
        if (request.Files is not { Count: > 0 and <= MaxFilesPerRegistration })
            return Problems.BadRequest($"files is required: 1 to {MaxFilesPerRegistration} object keys.");
        if (request.Files.Distinct(StringComparer.Ordinal).Count() != request.Files.Count) return Problems.BadRequest("files names a file twice.");
        if (request.JobId is not { Length: > 0 and <= 256 }) return Problems.BadRequest("job_id is required (at most 256 characters).");
        try
        {
            var registered = await registration.RegisterAsync(table, request.TenantId!, request.Files, request.JobId, http.Caller().Id, cancellationToken);
            var reply = registered.Reply;
            if (registered.Replayed)
                return Problems.Of(StatusCodes.Status409Conflict, "Already registered",
                    $"These files were registered into {table} already, at lake snapshot {reply.LakeSnapshotId}; their rows are stored once.",
                    new Dictionary<string, object?> { ["lake_snapshot_id"] = reply.LakeSnapshotId });
            return TypedResults.Created((string?)null,
                new FilesRegistered(reply.Table, reply.RowCount, reply.LakeSnapshotId, reply.PartitionId, registered.Files));
        }
        catch (IngestRejectedException rejected)
        {
            return rejected.ToProblem(http);
        }
    }

    private const int MaxFilesPerRegistration = 1000;

    private static async Task<Results<Created<TableInfo>, Ok<TableInfo>, ProblemHttpResult>> DeclareAsync(string name,
        TableDeclarationRequest request, LakeAccessor lakes, CancellationToken cancellationToken)
    {
        if (!Identifiers.TryParseTable(name, out var table, out var nameProblem)) return Problems.BadRequest($"Invalid table: {nameProblem}.");
        if (request.Columns is not { Count: > 0 }) return Problems.BadRequest("columns is required: [{name, type}, …].");
        List<ColumnDefinition> columns = [];
        foreach (var column in request.Columns)
        {
            if ((column.Name is null ? "name is required" : Identifiers.FieldProblem(column.Name)) is { } fieldProblem)
                return Problems.BadRequest($"Invalid column: {fieldProblem}.");
            try
            {
                columns.Add(new ColumnDefinition(column.Name!, LakeType.ParseDuckDb(column.Type ?? "")));
            }
            catch (LakeSchemaException e)
            {
                return Problems.BadRequest($"Column '{column.Name}': {e.Message}");
            }
        }
        if (columns.Select(c => c.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() != columns.Count)
            return Problems.BadRequest("A column name appears twice.");
        var acceptNewFields = request.UnknownFields?.ToLowerInvariant() switch
        {
            null or "add" => true,
            "reject" => false,
            _ => (bool?)null,
        };
        if (acceptNewFields is null) return Problems.BadRequest("unknown_fields must be 'add' or 'reject'.");
        List<(string, PartitionTransform)> partitioning = [];
        foreach (var key in request.PartitionBy ?? [])
        {
            var match = TransformKey().Match(key.Trim());
            var (column, transform) = match.Success
                ? (match.Groups[2].Value, Enum.Parse<PartitionTransform>(match.Groups[1].Value, ignoreCase: true))
                : (key.Trim(), PartitionTransform.Identity);
            if (!columns.Any(c => string.Equals(c.Name, column, StringComparison.OrdinalIgnoreCase)))
                return Problems.BadRequest($"partition_by '{key}' names no declared column.");
            partitioning.Add((column, transform));
        }

        var lake = await lakes.GetAsync(cancellationToken);
        try
        {
            var declaration = new TableDeclaration(table, columns, acceptNewFields.Value) { ExtraPartitioning = partitioning };
            var result = await lake.CommitAsync(async (commit, token) =>
            {
                var declared = await commit.DeclareAsync(declaration, token);
                return (Table: declared, Created: commit.Created(declared.Id));
            }, cancellationToken, new CommitOptions { Author = "auraison-dataplane", Message = $"declare {table}" });
            if (TenantColumns.Owner(result.Value.Table) is not null)
                return Problems.Conflict($"Table {table} already exists as a table a tenant's write created; declare shared tables before their first write.");
            var differences = columns.Where(c => result.Value.Table.FindColumn(c.Name) is not { } existing || !existing.Type.Equals(c.Type)).ToList();
            if (differences.Count > 0)
                return Problems.Conflict($"Table {table} already exists with other columns: {string.Join(", ", differences.Select(d => $"{d.Name} {d.Type}"))}.");
            var info = Describe(result.Value.Table, null, 0, null);
            return result.Value.Created ? TypedResults.Created($"/data/tables/{table}", info) : TypedResults.Ok(info);
        }
        catch (LakeSchemaException e)
        {
            return Problems.BadRequest(e.Message);
        }
    }

    /// <summary>Tables as one tenant sees them: its rows only, counted from the catalog's file statistics.</summary>
    public static async Task<List<TableInfo>> DescribeAsync(Lakehouse lake, string tenant, Func<TableName, bool> include,
        CancellationToken cancellationToken) =>
        [.. (await DescribeByIdAsync(lake, tenant, t => include(new TableName(t.SchemaName, t.Name)), SnapshotSelector.Latest, cancellationToken)).Values];

    /// <summary>
    /// The tables <paramref name="include"/> keeps (of <paramref name="only"/> when given: no other is read), as the
    /// tenant sees them at the snapshot, by table id.
    /// </summary>
    public static async Task<Dictionary<long, TableInfo>> DescribeByIdAsync(Lakehouse lake, string tenant, Func<LakeTable, bool> include,
        SnapshotSelector at, CancellationToken cancellationToken, IReadOnlyCollection<long>? only = null)
    {
        var content = TenantData.Visible(await lake.ReadAsync(at, cancellationToken, TenantData.Scope(tenant).And(include) with { TableIds = only },
            inlinedRows: false), tenant);
        var changed = content.Tables.ToDictionary(t => t.Id, t => content.Data[t.Id].Files.Select(f => f.BeginSnapshot)
            .Append(content.Data[t.Id].InlinedNewestSnapshot ?? -1).Max());
        var times = await lake.SnapshotTimesAsync(changed.Values.Where(v => v >= 0).Distinct().ToList(), cancellationToken);
        return content.Tables.ToDictionary(t => t.Id, t => Describe(t, tenant, content.Data[t.Id].RowCount,
            changed[t.Id] >= 0 ? new LastChange(changed[t.Id], times[changed[t.Id]]) : null));
    }

    /// <summary>A table as the tenant sees it (all its columns when <paramref name="tenant"/> is null: a declaration's reply).</summary>
    private static TableInfo Describe(LakeTable table, string? tenant, long rows, LastChange? change) =>
        new($"{table.SchemaName}.{table.Name}",
            tenant is null
                ? table.Columns.Select(c => new ColumnInfo(c.Name, c.Type.ToString())).ToList()
                : TenantData.ColumnsShown(table, tenant).Select(c => new ColumnInfo(c.Shown, table.FindColumn(c.Stored)!.Type.ToString())).ToList(),
            rows, change);
}
