using System.Collections.Concurrent;
using System.Text.Json;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Hosting;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// The one write path for every producer (ingest, world-model snapshots): answers a retried Idempotency-Key from
/// the stored reply, refuses the key's reuse for another request, and otherwise prepares the request (checked,
/// staged) and queues it for group commit.
/// </summary>
public sealed class IngestService(IngestPreparer preparer, IngestQueue queue, LakeAccessor lakes, IOptions<HttpJsonOptions> json,
    IOptions<DataPlaneOptions> options, Telemetry.DataPlaneMetrics metrics)
{
    // Requests whose Idempotency-Key is being committed right now: a retry that arrives meanwhile waits for the
    // first one's reply instead of racing it into the catalog's primary key.
    private readonly ConcurrentDictionary<(string Tenant, string Key), (string Hash, Lazy<Task<Outcome>> Outcome)> _inFlight = new();

    public sealed record Outcome(IngestReply Reply, bool Replayed);

    /// <summary>Where request bodies are spooled; files a crash left behind are removed when the service starts.</summary>
    public string SpoolDirectory { get; } = CleanDirectory(Path.Combine(Path.GetFullPath(options.Value.DataDir), "spool"));

    /// <summary>Spools a columnar (Parquet) body and reads its schema.</summary>
    public async Task<ParquetSpool> SpoolParquetAsync(Stream body, CancellationToken cancellationToken) =>
        await ParquetSpool.ReadAsync(body, SpoolDirectory, await lakes.GetAsync(cancellationToken), cancellationToken);

    public async Task<Outcome> IngestAsync(IngestCommand command, CancellationToken cancellationToken)
    {
        var (table, tenant) = (command.Table.ToString(), command.TenantId);
        try
        {
            var outcome = await IngestOnceAsync(command, cancellationToken);
            metrics.Ingested(table, tenant, outcome.Replayed ? "replayed" : "stored", outcome.Replayed ? 0 : outcome.Reply.RowCount,
                outcome.Replayed ? 0 : command.Records.Bytes);
            return outcome;
        }
        catch (IngestRejectedException rejected)
        {
            metrics.Ingested(table, tenant, rejected.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), 0, 0);
            throw;
        }
    }

    private async Task<Outcome> IngestOnceAsync(IngestCommand command, CancellationToken cancellationToken)
    {
        if (command.IdempotencyKey is not { } key) return new Outcome(await SubmitAsync(command, cancellationToken), Replayed: false);
        var mine = (command.RequestHash, new Lazy<Task<Outcome>>(() => SubmitUnlessStoredAsync(command, key)));
        var entry = _inFlight.GetOrAdd((command.TenantId, key), mine);
        if (entry.Hash != command.RequestHash) throw Reused(command, key);
        var outcome = await entry.Outcome.Value.WaitAsync(cancellationToken);
        return ReferenceEquals(entry.Outcome, mine.Item2) ? outcome : outcome with { Replayed = true };
    }

    private async Task<IngestReply> SubmitAsync(IngestCommand command, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        await using var prepared = await preparer.PrepareAsync(lake, command, SpoolDirectory, cancellationToken);
        return await queue.SubmitAsync(prepared);
    }

    private async Task<Outcome> SubmitUnlessStoredAsync(IngestCommand command, string key)
    {
        try
        {
            return await StoredAsync(command, key, CancellationToken.None)
                   ?? new Outcome(await SubmitAsync(command, CancellationToken.None), Replayed: false);
        }
        catch (DuplicateIdempotencyKeyException)
        {
            // Another replica committed this key first: its reply is this request's reply (or the key was reused: 409).
            return await StoredAsync(command, key, CancellationToken.None)
                   ?? throw IngestRejectedException.Unavailable($"Idempotency-Key '{key}' is being committed elsewhere; retry.");
        }
        finally
        {
            // Only once the reply is stored in the catalog (or the request failed), where a later retry looks first.
            _inFlight.TryRemove((command.TenantId, key), out _);
        }
    }

    private async Task<Outcome?> StoredAsync(IngestCommand command, string key, CancellationToken cancellationToken)
    {
        var lake = await lakes.GetAsync(cancellationToken);
        if (await IdempotencyStore.FindAsync(lake, command.TenantId, key, cancellationToken) is not { } stored) return null;
        if (stored.RequestHash != command.RequestHash) throw Reused(command, key);
        return new Outcome(JsonSerializer.Deserialize<IngestReply>(stored.Reply, json.Value.SerializerOptions)!, Replayed: true);
    }

    private static IngestRejectedException Reused(IngestCommand command, string key) =>
        new(StatusCodes.Status409Conflict, "Conflict", $"Idempotency-Key '{key}' was already used by tenant {command.TenantId} for a different request.");

    private static string CleanDirectory(string directory)
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
        return directory;
    }
}
