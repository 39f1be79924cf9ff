using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Attach;

/// <summary>
/// Where the catalog and the data live, as the SQL a stock <c>duckdb</c> runs to attach the lake read-only. For
/// management keys only: a direct attach reads every tenant's rows. No secret leaves the service: the PostgreSQL
/// password comes from the caller's <c>PGPASSWORD</c>, S3 credentials from the caller's AWS environment.
/// </summary>
public static class AttachApi
{
    public static RouteHandlerBuilder MapAttach(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/data/lake/attach", Get).WithTags("Lake").RequireScope(ApiScopes.Admin)
            .WithSummary("The DuckDB SQL that attaches this lake read-only with a stock duckdb + ducklake (management keys; it bypasses tenant scoping).");

    public sealed record AttachReply(string Catalog, string DataPath, IReadOnlyList<string> Sql);

    private static async Task<Ok<AttachReply>> Get(IOptions<DataPlaneOptions> options, LakeAccessor lakes, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var dataPath = (await lakes.GetAsync(cancellationToken)).DataPath;
        List<string> sql = [];
        string catalog;
        if (settings.IsEmbeddedCatalog)
        {
            catalog = settings.ToLakeSettings().ResolvedCatalogFile;
            sql.Add("-- The embedded catalog has one writing process: attach a copy while the service runs.");
            sql.Add($"ATTACH {Literal("ducklake:" + catalog)} AS lake (READ_ONLY);");
        }
        else
        {
            var postgres = new NpgsqlConnectionStringBuilder(settings.Catalog);
            catalog = $"dbname={postgres.Database} host={postgres.Host} port={postgres.Port} user={postgres.Username}";
            var schema = Lake.Catalog.PostgresCatalogDatabase.SchemaOf(postgres);
            sql.Add("-- The password comes from PGPASSWORD in your environment.");
            sql.Add($"ATTACH {Literal("ducklake:postgres:" + catalog)} AS lake ({(schema is null ? "" : $"METADATA_SCHEMA {Literal(schema)}, ")}READ_ONLY);");
        }
        if (dataPath.StartsWith("s3://", StringComparison.Ordinal))
            sql.Insert(0, S3Secret(settings.S3));
        sql.Add("SELECT snapshot_id, snapshot_time, changes FROM lake.snapshots() ORDER BY snapshot_id DESC LIMIT 5;");
        return TypedResults.Ok(new AttachReply(catalog, dataPath, sql));
    }

    /// <summary>An S3 secret whose credentials come from the caller's AWS environment (credential chain), never from here.</summary>
    private static string S3Secret(S3Options s3)
    {
        var endpoint = s3.ServiceUrl is { Length: > 0 } url ? new Uri(url) : null;
        var where = endpoint is null ? "" : $", ENDPOINT {Literal(endpoint.Authority)}, USE_SSL {(endpoint.Scheme == "https" ? "true" : "false")}";
        return $"CREATE SECRET lake_s3 (TYPE s3, PROVIDER credential_chain, REGION {Literal(s3.Region)}{where}" +
               (s3.ForcePathStyle ? ", URL_STYLE 'path'" : "") + ");";
    }
}
