using System.Text.Json;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tables;
using Auraison.DataPlane.Tenancy;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// Everything a request needs before its commit, done in the request's own task so requests of one table proceed
/// in parallel: its records checked against the table (422 for those that do not fit), the table and its new
/// columns created, and a large request's rows staged to Parquet by DuckDB from the spool and uploaded.
/// </summary>
public sealed class IngestPreparer(TableSchemas schemas, StorageQuota quota, IOptions<DataPlaneOptions> options)
{
    private static readonly IReadOnlyList<ColumnDefinition> QuarantineColumns =
    [
        new("record_index", LakeType.Primitive("int64")),
        new("field", LakeType.Primitive("varchar")),
        new("error", LakeType.Primitive("varchar")),
        new("original", LakeType.Primitive("json")),
    ];

    // DuckDB staging takes memory and cores; more at once than cores only queues inside DuckDB.
    private readonly SemaphoreSlim _staging = new(options.Value.Ingest.MaxConcurrentStaging > 0 ? options.Value.Ingest.MaxConcurrentStaging : Environment.ProcessorCount);

    public async Task<PreparedIngest> PrepareAsync(Lakehouse lake, IngestCommand command, string spoolDirectory, CancellationToken cancellationToken)
    {
        var known = await schemas.FindAsync(lake, command.Table, cancellationToken);
        if (command.Records is ParquetSpool columnar) return await PrepareColumnarAsync(lake, command, columnar, known, cancellationToken);
        var records = (RequestSpool)command.Records;
        var plan = RecordPlanner.Plan(records, TenantColumns.Definitions(known.Table, command.TenantId), known.AcceptsNewFields);
        if (plan.Errors.Count > 0 && command.Mode == OnError.Reject) throw Rejected(plan.Errors);
        var quarantineName = plan.Errors.Count > 0 ? new TableName("quarantine", $"{command.Table.Schema}__{command.Table.Name}") : (TableName?)null;
        var (table, quarantine) = await EnsureSchemaAsync(lake, command, known.Table, plan.NewColumns, quarantineName, cancellationToken);

        var prepared = new PreparedIngest(lake, command, table, plan);
        try
        {
            if (plan.Errors.Count == 0 && plan.Rewrite.Count == 0) prepared.UseRows(records, owned: false);
            else prepared.UseRows(records.Select(plan.ValidRecords.ToHashSet(), plan.Rewrite,
                (writer, record) => Rewrite(writer, record, table, command.TenantId), spoolDirectory), owned: true);
            if (quarantine is not null) prepared.UseQuarantine(quarantine, await StageQuarantineAsync(lake, prepared, quarantine, spoolDirectory, cancellationToken));
            if (plan.ValidRecords.Count >= options.Value.Ingest.StageRows)
                prepared.UseFiles(await StageAsync(lake, table, SpoolSource.For(table, prepared.Rows!, [command]), SpoolSource.Constants(command), cancellationToken));
            return prepared;
        }
        catch
        {
            await prepared.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A columnar body: its columns checked against the table's (DuckDB finds values out of range), new ones added,
    /// and its rows staged by DuckDB straight from the file, whatever their number.
    /// </summary>
    private async Task<PreparedIngest> PrepareColumnarAsync(Lakehouse lake, IngestCommand command, ParquetSpool body, TableSchemas.Known known,
        CancellationToken cancellationToken)
    {
        if (command.Mode == OnError.Quarantine)
            throw new IngestRejectedException(StatusCodes.Status400BadRequest, "Bad request",
                "on_error=quarantine is for JSON bodies; a columnar body is stored whole or refused with the rows that do not fit.");
        RecordPlan plan;
        await using (var work = lake.OpenWorkConnection())
            plan = await ColumnarPlanner.PlanAsync(work, body, TenantColumns.Definitions(known.Table, command.TenantId), known.AcceptsNewFields,
                cancellationToken);
        if (plan.Errors.Count > 0) throw Rejected(plan.Errors);
        var (table, _) = await EnsureSchemaAsync(lake, command, known.Table, plan.NewColumns, null, cancellationToken);
        var prepared = new PreparedIngest(lake, command, table, plan);
        try
        {
            prepared.UseFiles(await StageAsync(lake, table, SpoolSource.For(table, body, command), SpoolSource.Constants(command), cancellationToken));
            return prepared;
        }
        catch
        {
            await prepared.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stages rows (a DuckDB SELECT) to Parquet, checks the tenants' quotas and uploads; the caller registers the files.</summary>
    public async Task<IReadOnlyList<StagedFile>> StageAsync(Lakehouse lake, LakeTable table, string source, IReadOnlyDictionary<string, object>? constants,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<StagedFile> files;
        await _staging.WaitAsync(cancellationToken);
        try
        {
            await using var work = lake.OpenWorkConnection();
            files = await ParquetStager.WriteAsync(work, table, source, lake.StagingDirectory, cancellationToken, constants);
        }
        finally
        {
            _staging.Release();
        }
        try
        {
            await quota.RequireAsync(lake, files, cancellationToken);
            await lake.UploadAsync(table, files, cancellationToken);
            return files;
        }
        catch
        {
            foreach (var file in files) File.Delete(file.LocalPath);
            await lake.DeleteUploadedAsync(table, files, CancellationToken.None);
            throw;
        }
    }

    private async Task<IReadOnlyList<StagedFile>> StageQuarantineAsync(Lakehouse lake, PreparedIngest prepared, LakeTable quarantine, string spoolDirectory,
        CancellationToken cancellationToken)
    {
        var errors = prepared.Plan.Errors.ToLookup(e => e.RecordIndex);
        List<(int, Action<Utf8JsonWriter>)> rows = [];
        ((RequestSpool)prepared.Command.Records).ForEach((index, record) =>
        {
            foreach (var error in errors[index])
            {
                var original = RequestSpool.Original(record);
                rows.Add((index, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("record_index", error.RecordIndex);
                    writer.WriteString("field", error.Field);
                    writer.WriteString("error", error.Message);
                    writer.WritePropertyName("original");
                    writer.WriteRawValue(original);
                    writer.WriteEndObject();
                }));
            }
        });
        using var spool = RequestSpool.Of(rows, spoolDirectory);
        return await StageAsync(lake, quarantine, SpoolSource.For(quarantine, spool, [prepared.Command]), SpoolSource.Constants(prepared.Command), cancellationToken);
    }

    /// <summary>A record as DuckDB's reader reads it right: each field under its column's field name, values in the forms it parses.</summary>
    private static void Rewrite(Utf8JsonWriter writer, JsonElement record, LakeTable table, string tenant)
    {
        var first = true;
        foreach (var field in record.EnumerateObject())
        {
            if (first && field.Name == RequestSpool.IndexField) { first = false; continue; }
            first = false;
            if (field.Value.ValueKind == JsonValueKind.Null || TenantColumns.Find(table, tenant, field.Name) is not { } column) continue;
            writer.WritePropertyName(column.Field);
            JsonTyping.Write(writer, field.Value, column.Stored.Type);
        }
    }

    // Schema changes commit on their own, before the data: Parquet needs the new columns' ids. The new fields become
    // the tenant's own columns (see TenantColumns).
    private async Task<(LakeTable Table, LakeTable? Quarantine)> EnsureSchemaAsync(Lakehouse lake, IngestCommand command, LakeTable? table,
        IReadOnlyList<ColumnDefinition> added, TableName? quarantineName, CancellationToken cancellationToken)
    {
        if (table is not null && added.Count == 0 && quarantineName is null) return (table, null);
        var (name, tenant) = (command.Table, command.TenantId);
        schemas.Forget(name);
        var result = await lake.CommitAsync(async (commit, token) =>
        {
            var current = table is null ? await commit.FindTableAsync(name.Schema, name.Name, token) : await commit.CurrentAsync(table, token);
            current ??= await commit.DeclareAsync(new TableDeclaration(name, [.. added.Select(f => TenantColumns.New(f, tenant, ownTable: true))],
                AcceptNewFields: true) { Owner = tenant }, token);
            var missing = added.Where(f => TenantColumns.Find(current, tenant, f.Name) is null)
                .Select(f => TenantColumns.New(f, tenant, ownTable: TenantColumns.Owner(current) == tenant)).ToList();
            if (missing.Count > 0) current = await commit.AddColumnsAsync(current, missing, token);
            var conflicting = added.FirstOrDefault(f => TenantColumns.Find(current, tenant, f.Name) is { } existing && !existing.Stored.Type.Equals(f.Type));
            if (conflicting is not null)
                throw new IngestRejectedException(StatusCodes.Status409Conflict, "Concurrent schema change",
                    $"Another request created field '{conflicting.Name}' of {name} as {TenantColumns.Find(current, tenant, conflicting.Name)!.Stored.Type}, not {conflicting.Type}; retry the request.");
            // A quarantine table belongs to whoever owns the table it quarantines for.
            var quarantine = quarantineName is { } q
                ? await commit.DeclareAsync(new TableDeclaration(q, QuarantineColumns, AcceptNewFields: false) { Owner = TenantColumns.Owner(current) }, token)
                : null;
            return (current, quarantine);
        }, cancellationToken, new CommitOptions { Author = "auraison-dataplane", Message = $"schema of {name}", ExtraInfo = TenantCommits.Of(tenant) });
        return result.Value;
    }

    public static IngestRejectedException Rejected(IReadOnlyList<RecordError> errors) =>
        new(StatusCodes.Status422UnprocessableEntity, "Records do not fit the table",
            errors.Count == 1 ? errors[0].Message : $"{errors.Count} records do not fit the table; the first: {errors[0].Message}", errors);
}
