using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Writing;

namespace Auraison.DataPlane.Policy;

/// <summary>
/// Tenants' <c>max_storage_gb</c>: staged files are per tenant partition, so before an upload each tenant's stored
/// bytes (table data and objects) plus what it adds are compared with its quota (507 past it, nothing uploaded). Rows kept in the catalog add
/// the size of their request body; once flushed they count as the files they became.
/// </summary>
public sealed class StorageQuota(PolicyStore policies, Objects.ObjectIndex objects)
{
    /// <summary>Refuses the files with 507 when a tenant would pass its quota.</summary>
    public Task RequireAsync(Lakehouse lake, IReadOnlyList<StagedFile> staged, CancellationToken cancellationToken) =>
        RequireAsync(lake, staged.Select(f => (TenantOf(f), f.FileSizeBytes)), cancellationToken);

    /// <summary>Refuses with 507 when a tenant's stored bytes plus those it adds would pass its quota.</summary>
    public async Task RequireAsync(Lakehouse lake, IEnumerable<(string Tenant, long Bytes)> adding, CancellationToken cancellationToken)
    {
        foreach (var tenant in adding.GroupBy(a => a.Tenant, a => a.Bytes))
        {
            if ((await policies.GetAsync(tenant.Key, cancellationToken)).MaxStorageBytes is not { } limit) continue;
            var used = await TenantUsage.BytesAsync(lake, tenant.Key, cancellationToken) + await objects.BytesAsync(tenant.Key, cancellationToken);
            if (used + tenant.Sum() > limit)
                throw Exceeded($"Tenant {tenant.Key} stores {used} bytes; this request adds {tenant.Sum()} and its quota is {limit} bytes.");
        }
    }

    public static IngestRejectedException Exceeded(string reason) =>
        new(StatusCodes.Status507InsufficientStorage, "Storage quota exceeded", reason);

    /// <summary>The tenant a staged file belongs to: its first partition value (every table is partitioned by tenant first).</summary>
    public static string TenantOf(StagedFile file) => file.PartitionValues.Count > 0 ? file.PartitionValues[0] ?? "" : "";
}
