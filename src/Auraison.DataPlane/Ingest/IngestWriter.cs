using System.Text.Json;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tables;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// Writes a batch of requests for one table as one group commit: their rows share Parquet files (one per tenant
/// partition) and one snapshot, together with each request's lineage and idempotency rows. A request whose records
/// do not fit is answered on its own; the others still commit.
/// </summary>
public sealed class IngestWriter(JsonSerializerOptions json, PolicyStore policies)
{
    private static readonly IReadOnlyList<ColumnDefinition> QuarantineColumns =
    [
        new("record_index", LakeType.Primitive("int64")),
        new("field", LakeType.Primitive("varchar")),
        new("error", LakeType.Primitive("varchar")),
        new("original", LakeType.Primitive("json")),
    ];

    public sealed record Pending(IngestCommand Command, TaskCompletionSource<IngestReply> Reply);

    private sealed record Accepted(Pending Request, RecordPlan Plan);

    public async Task WriteAsync(Lakehouse lake, TableName name, IReadOnlyList<Pending> batch, CancellationToken cancellationToken)
    {
        var table = await FindTableAsync(lake, name, cancellationToken);
        var acceptNewFields = table is null || await TableRegistry.AcceptsNewFieldsAsync(lake, table, cancellationToken);
        var columns = table is null ? [] : TableRegistry.UserColumns(table);

        // Plan requests in order against the columns as earlier requests of the batch extend them.
        List<Accepted> accepted = [];
        List<ColumnDefinition> added = [];
        foreach (var pending in batch)
        {
            var plan = RecordPlanner.Plan(pending.Command.Records, [.. columns, .. added], acceptNewFields);
            if (plan.Errors.Count > 0 && pending.Command.Mode == OnError.Reject)
            {
                pending.Reply.TrySetException(Rejected(plan.Errors));
                continue;
            }
            added.AddRange(plan.NewColumns);
            accepted.Add(new Accepted(pending, plan));
        }
        if (accepted.Count == 0) return;

        var quarantineName = new TableName("quarantine", $"{name.Schema}__{name.Name}");
        var needsQuarantine = accepted.Any(a => a.Plan.Errors.Count > 0);
        (table, var quarantine) = await EnsureSchemaAsync(lake, name, table, added, needsQuarantine ? quarantineName : null, cancellationToken);

        await using var work = lake.OpenWorkConnection();
        List<StagedFile> staged = [];
        try
        {
            var files = await StageAsync(lake, work, table, accepted.SelectMany(a => Rows(a, table)), cancellationToken);
            staged.AddRange(files);
            var quarantined = quarantine is null ? [] : await StageAsync(lake, work, quarantine, accepted.SelectMany(QuarantineRows), cancellationToken);
            staged.AddRange(quarantined);

            // Files are per tenant, so a tenant over its quota drops out of the batch whole, before anything is uploaded.
            var overQuota = await OverQuotaAsync(lake, staged, cancellationToken);
            foreach (var refused in accepted.Where(a => overQuota.ContainsKey(a.Request.Command.TenantId)))
                refused.Request.Reply.TrySetException(new IngestRejectedException(StatusCodes.Status507InsufficientStorage, "Storage quota exceeded",
                    overQuota[refused.Request.Command.TenantId]));
            accepted = accepted.Where(a => !overQuota.ContainsKey(a.Request.Command.TenantId)).ToList();
            files = files.Where(f => !overQuota.ContainsKey(TenantOf(f))).ToList();
            quarantined = quarantined.Where(f => !overQuota.ContainsKey(TenantOf(f))).ToList();
            if (accepted.Count == 0) return;
            await lake.UploadAsync(table, files, cancellationToken);
            if (quarantine is not null) await lake.UploadAsync(quarantine, quarantined, cancellationToken);

            var committed = await lake.CommitAsync(async (commit, token) =>
            {
                await commit.AppendFilesAsync(table, files, token);
                if (quarantine is not null) await commit.AppendFilesAsync(quarantine, quarantined, token);
                // Lineage, outbox and idempotency rows of every request go to the catalog in one round trip.
                foreach (var request in accepted) RecordLineage(commit, request, name, FilesOf(files, request.Request.Command.TenantId));
                return 0;
            }, cancellationToken, new CommitOptions { Author = "auraison-dataplane", Message = $"ingest {name} ({accepted.Count} requests)" });

            foreach (var request in accepted) request.Request.Reply.TrySetResult(ReplyFor(request, name, committed.SnapshotId));
        }
        finally
        {
            foreach (var file in staged) File.Delete(file.LocalPath);
        }
    }

    private static async Task<LakeTable?> FindTableAsync(Lakehouse lake, TableName name, CancellationToken cancellationToken)
    {
        await using var connection = await lake.Catalog.OpenAsync(cancellationToken);
        var reader = new CatalogReader(connection, null, lake.DataPath);
        var latest = await reader.LatestAsync(cancellationToken);
        return await reader.TableByNameAsync(latest.Id, name.Schema, name.Name, cancellationToken);
    }

    // Schema changes commit on their own, before the data: Parquet needs the new columns' ids.
    private static async Task<(LakeTable Table, LakeTable? Quarantine)> EnsureSchemaAsync(Lakehouse lake, TableName name, LakeTable? table,
        IReadOnlyList<ColumnDefinition> added, TableName? quarantineName, CancellationToken cancellationToken)
    {
        if (table is not null && added.Count == 0 && quarantineName is null) return (table, null);
        var result = await lake.CommitAsync(async (commit, token) =>
        {
            var current = table is null
                ? await commit.DeclareAsync(new TableDeclaration(name, added, AcceptNewFields: true), token)
                : await commit.CurrentAsync(table, token);
            var missing = added.Where(c => current.FindColumn(c.Name) is null).ToList();
            if (missing.Count > 0) current = await commit.AddColumnsAsync(current, missing, token);
            var conflicting = added.FirstOrDefault(c => current.FindColumn(c.Name) is { } existing && !existing.Type.Equals(c.Type));
            if (conflicting is not null)
                throw new IngestRejectedException(StatusCodes.Status409Conflict, "Concurrent schema change",
                    $"Another writer created column '{conflicting.Name}' of {name} as {current.FindColumn(conflicting.Name)!.Type}, not {conflicting.Type}; retry the request.");
            var quarantine = quarantineName is { } q
                ? await commit.DeclareAsync(new TableDeclaration(q, QuarantineColumns, AcceptNewFields: false), token)
                : null;
            return (current, quarantine);
        }, cancellationToken, new CommitOptions { Author = "auraison-dataplane", Message = $"schema of {name}" });
        return result.Value;
    }

    private static async Task<IReadOnlyList<StagedFile>> StageAsync(Lakehouse lake, DuckDB.NET.Data.DuckDBConnection work, LakeTable table,
        IEnumerable<Action<Utf8JsonWriter>> rows, CancellationToken cancellationToken)
    {
        var path = Path.Combine(lake.StagingDirectory, $"ingest-{Guid.NewGuid():N}.ndjson");
        try
        {
            var count = 0;
            await using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                // One writer for every row: Reset starts the next line without a flush per record.
                await using var writer = new Utf8JsonWriter(stream);
                foreach (var row in rows)
                {
                    row(writer);
                    writer.Flush();
                    stream.WriteByte((byte)'\n');
                    writer.Reset();
                    count++;
                }
            }
            if (count == 0) return [];
            var types = string.Join(", ", table.Columns.Select(c => $"{Literal(c.Name)}: {Literal(c.Type.ToDuckDb())}"));
            var source = $"SELECT * FROM read_json({Literal(path)}, format = 'newline_delimited', columns = {{{types}}}, " +
                         "maximum_object_size = 268435456, records = true)";
            return await ParquetStager.WriteAsync(work, table, source, lake.StagingDirectory, cancellationToken);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static IEnumerable<Action<Utf8JsonWriter>> Rows(Accepted accepted, LakeTable table)
    {
        var command = accepted.Request.Command;
        var userColumns = table.Columns.Where(c => !c.Name.StartsWith(Identifiers.ReservedPrefix, StringComparison.Ordinal))
            .ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var index in accepted.Plan.ValidRecords)
        {
            var record = command.Records[index];
            yield return writer =>
            {
                // The planner refused repeated names and unknown ones became columns, so each field is written once, under its column's name.
                writer.WriteStartObject();
                foreach (var field in record.EnumerateObject())
                {
                    if (field.Value.ValueKind == JsonValueKind.Null || !userColumns.TryGetValue(field.Name, out var column)) continue;
                    writer.WritePropertyName(column.Name);
                    JsonTyping.Write(writer, field.Value, column.Type);
                }
                WriteLineage(writer, command, index);
                writer.WriteEndObject();
            };
        }
    }

    private static IEnumerable<Action<Utf8JsonWriter>> QuarantineRows(Accepted accepted) =>
        accepted.Plan.Errors.Select<RecordError, Action<Utf8JsonWriter>>(error => writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("record_index", error.RecordIndex);
            writer.WriteString("field", error.Field);
            writer.WriteString("error", error.Message);
            writer.WritePropertyName("original");
            accepted.Request.Command.Records[error.RecordIndex].WriteTo(writer);
            WriteLineage(writer, accepted.Request.Command, error.RecordIndex);
            writer.WriteEndObject();
        });

    private static void WriteLineage(Utf8JsonWriter writer, IngestCommand command, int recordIndex)
    {
        writer.WriteString(Lineage.TenantId, command.TenantId);
        writer.WriteString(Lineage.JobId, command.JobId);
        writer.WriteString(Lineage.SchemaVersion, command.SchemaVersion);
        writer.WriteString(Lineage.PartitionId, command.PartitionId);
        writer.WriteString(Lineage.IngestedAt, CatalogReader.Timestamp(command.ReceivedAt));
        writer.WriteNumber(Lineage.RecordIndex, recordIndex);
    }

    private static IReadOnlyList<string> FilesOf(IReadOnlyList<StagedFile> files, string tenant) =>
        files.Where(f => TenantOf(f) == tenant).Select(f => f.RelativePath).ToList();

    private static string TenantOf(StagedFile file) => file.PartitionValues.Count > 0 ? file.PartitionValues[0] ?? "" : "";

    /// <summary>Tenants whose stored bytes plus this batch's would pass their quota, with the reason.</summary>
    private async Task<Dictionary<string, string>> OverQuotaAsync(Lakehouse lake, IReadOnlyList<StagedFile> staged, CancellationToken cancellationToken)
    {
        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tenant in staged.GroupBy(TenantOf))
        {
            if ((await policies.GetAsync(tenant.Key, cancellationToken)).MaxStorageBytes is not { } limit) continue;
            var used = await TenantUsage.BytesAsync(lake, tenant.Key, cancellationToken);
            var adding = tenant.Sum(f => f.FileSizeBytes);
            if (used + adding > limit)
                refused[tenant.Key] = $"Tenant {tenant.Key} stores {used} bytes; this request adds {adding} and its quota is {limit} bytes.";
        }
        return refused;
    }

    private void RecordLineage(CatalogCommit commit, Accepted request, TableName name, IReadOnlyList<string> files)
    {
        var command = request.Request.Command;
        commit.ExecuteLater(
            "INSERT INTO dataplane_ingest_lineage VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CAST($11 AS TIMESTAMP WITH TIME ZONE))",
            command.PartitionId, command.TenantId, name.ToString(), command.JobId, command.SchemaVersion,
            (long)request.Plan.ValidRecords.Count, (long)request.Plan.Errors.Count, commit.SnapshotId, JsonSerializer.Serialize(files, json),
            command.Caller, CatalogReader.Timestamp(command.ReceivedAt));
        // Rows of retrievable tables wait in the outbox, in this same commit, until the indexer has embedded them.
        commit.ExecuteLater(
            """
            INSERT INTO dataplane_embedding_outbox SELECT $1, $2, $3, $4, CAST($5 AS TIMESTAMP WITH TIME ZONE)
            WHERE EXISTS (SELECT 1 FROM dataplane_retrieval_sources WHERE table_name = $3)
            """, command.PartitionId, command.TenantId, name.ToString(), commit.SnapshotId, CatalogReader.Timestamp(command.ReceivedAt));
        if (command.IdempotencyKey is null) return;
        // The primary key makes a concurrent duplicate lose this commit's race instead of storing its rows twice.
        commit.ExecuteLater("INSERT INTO dataplane_idempotency VALUES ($1, $2, $3, $4, CAST($5 AS TIMESTAMP WITH TIME ZONE))",
            command.TenantId, command.IdempotencyKey, command.RequestHash,
            JsonSerializer.Serialize(ReplyFor(request, name, commit.SnapshotId), json), CatalogReader.Timestamp(DateTimeOffset.UtcNow));
    }

    private static IngestReply ReplyFor(Accepted request, TableName name, long snapshotId) =>
        new(request.Request.Command.PartitionId, request.Plan.ValidRecords.Count, name.ToString(), snapshotId)
        {
            QuarantinedCount = request.Request.Command.Mode == OnError.Quarantine ? request.Plan.Errors.Count : null,
        };

    public static IngestRejectedException Rejected(IReadOnlyList<RecordError> errors) =>
        new(StatusCodes.Status422UnprocessableEntity, "Records do not fit the table",
            errors.Count == 1 ? errors[0].Message : $"{errors.Count} records do not fit the table; the first: {errors[0].Message}", errors);
}
