using Microsoft.Extensions.Options;
using Npgsql;

namespace Auraison.DataPlane.Configuration;

/// <summary>Checks the settings at start-up; each failure is one line that names the setting.</summary>
public sealed class DataPlaneOptionsValidator : IValidateOptions<DataPlaneOptions>
{
    public ValidateOptionsResult Validate(string? name, DataPlaneOptions options)
    {
        List<string> failures = [];
        if (string.IsNullOrWhiteSpace(options.DataDir))
            failures.Add("DataPlane:DataDir must name a local directory.");
        CheckConnectionString(options.Catalog, "DataPlane:Catalog", failures);
        CheckConnectionString(options.Vectors, "DataPlane:Vectors", failures);
        CheckDataPath(options, failures);
        if (!options.IsEmbeddedCatalog && options.Auth.Enabled == false)
            failures.Add("DataPlane:Auth:Enabled cannot be false in production mode (DataPlane:Catalog is set); API keys are required there.");
        if (options.Auth.BootstrapKey is { Length: > 0 and < 16 })
            failures.Add("DataPlane:Auth:BootstrapKey must be at least 16 characters.");
        if (options.Auth.PermitsPerSecond < 0 || options.Auth.Burst < 1)
            failures.Add("DataPlane:Auth:PermitsPerSecond must be 0 or more and DataPlane:Auth:Burst at least 1.");
        if (options.Query.MaxRows < 1 || options.Query.TimeoutSeconds < 1)
            failures.Add("DataPlane:Query:MaxRows and DataPlane:Query:TimeoutSeconds must be at least 1.");
        if (options.Ingest.MaxBodyBytes < 1 || options.Ingest.MaxRecordsPerRequest < 1 || options.Ingest.MaxBatchRequests < 1 || options.Ingest.MaxBatchRows < 1)
            failures.Add("DataPlane:Ingest limits must be at least 1.");
        if (options.Ingest.LingerMilliseconds is < 0 or > 1000) failures.Add("DataPlane:Ingest:LingerMilliseconds must be between 0 and 1000.");
        if (options.Maintenance.StepList().FirstOrDefault(step => !Maintenance.MaintenanceSteps.Names.Contains(step)) is { } unknownStep)
            failures.Add($"DataPlane:Maintenance:Steps has '{unknownStep}'; the steps are {string.Join(", ", Maintenance.MaintenanceSteps.Names)}.");
        if (options.Maintenance is { IntervalSeconds: < 0 } or { MergeTargetMegabytes: < 1 } or { KeepSnapshotsHours: < 0 } or { CleanupGraceMinutes: < 0 }
            or { OrphanGraceHours: < 1 } or { KeepRunsDays: < 1 })
            failures.Add("DataPlane:Maintenance settings must not be negative (MergeTargetMegabytes, OrphanGraceHours and KeepRunsDays at least 1).");
        if (options.S3.PartSizeMegabytes is < 5 or > 5120) failures.Add("DataPlane:S3:PartSizeMegabytes must be between 5 and 5120 (S3's part sizes).");
        if (options.S3.CacheMegabytes < 1) failures.Add("DataPlane:S3:CacheMegabytes must be at least 1.");
        if (options.Objects.MaxObjectBytes < 1 || options.Objects.UploadUrlMinutes is < 1 or > 7 * 24 * 60)
            failures.Add("DataPlane:Objects:MaxObjectBytes must be at least 1 and UploadUrlMinutes between 1 and 10080 (7 days, S3's limit).");
        if (options.Features.MaterializeSeconds < 0 || options.Features.MaxHistoricalRows < 1)
            failures.Add("DataPlane:Features:MaterializeSeconds cannot be negative and MaxHistoricalRows must be at least 1.");
        if (options.Retrieval.IndexerMaxAttempts < 1 || options.Retrieval.IndexerLeaseSeconds < 1)
            failures.Add("DataPlane:Retrieval:IndexerMaxAttempts and DataPlane:Retrieval:IndexerLeaseSeconds must be at least 1.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckConnectionString(string? value, string setting, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(value)) return;
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(value);
            if (string.IsNullOrWhiteSpace(builder.Host))
                failures.Add($"{setting} is a PostgreSQL connection string without Host=; leave it empty for the embedded default.");
        }
        catch (ArgumentException e)
        {
            failures.Add($"{setting} is not a PostgreSQL connection string ({e.Message}); leave it empty for the embedded default.");
        }
    }

    private static void CheckDataPath(DataPlaneOptions options, List<string> failures)
    {
        var path = options.DataPath;
        if (string.IsNullOrWhiteSpace(path)) return;
        if (path.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            if (path.Length <= "s3://".Length || path["s3://".Length..].StartsWith('/'))
                failures.Add($"DataPlane:DataPath '{path}' names no bucket; use s3://bucket/prefix/.");
            if (!string.IsNullOrWhiteSpace(options.S3.ServiceUrl) && !Uri.TryCreate(options.S3.ServiceUrl, UriKind.Absolute, out _))
                failures.Add($"DataPlane:S3:ServiceUrl '{options.S3.ServiceUrl}' is not an absolute URL.");
            if (string.IsNullOrWhiteSpace(options.S3.AccessKey) != string.IsNullOrWhiteSpace(options.S3.SecretKey))
                failures.Add("DataPlane:S3:AccessKey and DataPlane:S3:SecretKey must be set together.");
        }
        else if (path.Contains("://", StringComparison.Ordinal))
        {
            failures.Add($"DataPlane:DataPath '{path}' uses an unsupported scheme; use s3://bucket/prefix/ or a local directory.");
        }
    }
}
