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
    public sealed record Outcome(IngestReply Reply, bool Replayed);

    public async Task<Outcome> IngestAsync(IngestCommand command, CancellationToken cancellationToken)
    {
        if (command.IdempotencyKey is { } key)
        {
            var lake = await lakes.GetAsync(cancellationToken);
            if (await IdempotencyStore.FindAsync(lake, command.TenantId, key, cancellationToken) is { } stored)
            {
                if (stored.RequestHash != command.RequestHash)
                    throw new IngestRejectedException(StatusCodes.Status409Conflict, "Conflict",
                        $"Idempotency-Key '{key}' was already used by tenant {command.TenantId} for a different request.");
                return new Outcome(JsonSerializer.Deserialize<IngestReply>(stored.Reply, json.Value.SerializerOptions)!, Replayed: true);
            }
        }
        return new Outcome(await queue.SubmitAsync(command), Replayed: false);
    }
}
