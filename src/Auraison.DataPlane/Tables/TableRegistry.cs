using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Tables;

/// <summary>
/// Creates the service's tables with lineage columns and tenant partitioning, and keeps each table's rule for
/// unknown fields as a DuckLake tag (<c>dataplane.unknown_fields</c> = <c>add</c> | <c>reject</c>).
/// </summary>
public static class TableRegistry
{
    public const string UnknownFieldsTag = "dataplane.unknown_fields";

    public static async Task EnsurePlatformTablesAsync(Lakehouse lake, CancellationToken cancellationToken)
    {
        await lake.CommitAsync(async (commit, token) =>
        {
            foreach (var declaration in PlatformTables.All)
                if (await commit.FindTableAsync(declaration.Name.Schema, declaration.Name.Name, token) is null)
                    await commit.DeclareAsync(declaration, token);
            return 0;
        }, cancellationToken, new CommitOptions { Author = "auraison-dataplane", Message = "platform tables" });
    }

    /// <summary>Creates the table (user columns + lineage, partitioned by tenant) or returns it when it exists.</summary>
    public static async Task<LakeTable> DeclareAsync(this CatalogCommit commit, TableDeclaration declaration, CancellationToken cancellationToken)
    {
        var table = await commit.EnsureTableAsync(declaration.Name.Schema, declaration.Name.Name,
            [.. declaration.Columns, .. Lineage.Columns], [.. Lineage.Partitioning(declaration.Name), .. declaration.ExtraPartitioning],
            cancellationToken);
        if (!commit.Created(table.Id)) return table;
        await commit.SetTagAsync(table.Id, UnknownFieldsTag, declaration.AcceptNewFields ? "add" : "reject", cancellationToken);
        if (declaration.Owner is { } owner) await commit.SetTagAsync(table.Id, Tenancy.TenantColumns.OwnerTag, owner, cancellationToken);
        return await commit.CurrentAsync(table, cancellationToken);
    }

}
