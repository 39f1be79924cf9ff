using System.Collections.Concurrent;
using System.Text.Json;
using Auraison.DataPlane.Hosting;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Auraison.DataPlane.Ingest;

/// <summary>
/// The one write path for every producer (ingest, world-model snapshots): answers a retried Idempotency-Key from
/// the stored reply, refuses the key's reuse for another request, and otherwise queues the command for group commit.
/// </summary>
public sealed class IngestService(IngestQueue queue, LakeAccessor lakes, IOptions<HttpJsonOptions> json)
{
    // Requests whose Idempotency-Key is being committed right now: a retry that arrives meanwhile waits for the
    // first one's reply instead of racing it into the catalog's primary key (and failing its whole batch).
    private readonly ConcurrentDictionary<(string Tenant, string Key), (string Hash, Lazy<Task<Outcome>> Outcome)> _inFlight = new();

    public sealed record Outcome(IngestReply Reply, bool Replayed);

    public async Task<Outcome> IngestAsync(IngestCommand command, CancellationToken cancellationToken)
    {
        if (command.IdempotencyKey is not { } key) return new Outcome(await queue.SubmitAsync(command), Replayed: false);
        var mine = (command.RequestHash, new Lazy<Task<Outcome>>(() => SubmitUnlessStoredAsync(command, key)));
        var entry = _inFlight.GetOrAdd((command.TenantId, key), mine);
        if (entry.Hash != command.RequestHash) throw Reused(command, key);
        var outcome = await entry.Outcome.Value.WaitAsync(cancellationToken);
        return ReferenceEquals(entry.Outcome, mine.Item2) ? outcome : outcome with { Replayed = true };
    }

    private async Task<Outcome> SubmitUnlessStoredAsync(IngestCommand command, string key)
    {
        try
        {
            return await StoredAsync(command, key, CancellationToken.None) ?? new Outcome(await queue.SubmitAsync(command), Replayed: false);
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
}
