using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Auraison.DataPlane.Configuration;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Auraison.DataPlane.Hosting;

/// <summary>Rate limits per API key, and the loud refusal to serve without keys on anything but loopback.</summary>
public static class AccessHosting
{
    public static IServiceCollection AddRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var auth = configuration.GetSection($"{DataPlaneOptions.Section}:Auth").Get<AuthOptions>() ?? new AuthOptions();
        return services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await Problems.Of(StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"This API key is limited to {auth.PermitsPerSecond} requests per second; retry after {retryAfter.TotalSeconds:0.#} s.")
                    .ExecuteAsync(context.HttpContext);
            };
            if (auth.PermitsPerSecond <= 0) return;
            // Partitioned by the presented credential (its key id part), so every key has its own bucket.
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                RateLimitPartition.GetTokenBucketLimiter(PartitionKey(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = auth.Burst,
                    TokensPerPeriod = auth.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
        });
    }

    private static string PartitionKey(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return "anonymous:" + http.Connection.RemoteIpAddress;
        var key = header["Bearer ".Length..].Trim();
        var parts = key.Split('_');
        return parts.Length >= 3 ? parts[1] : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..16];
    }

    /// <summary>Logs loudly that keys are off, and stops the service if it listens beyond loopback that way.</summary>
    public static WebApplication WarnWhenAuthenticationIsOff(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<DataPlaneOptions>>().Value.AuthRequired) return app;
        var logger = app.Services.GetRequiredService<ILogger<DataPlaneOptions>>();
        logger.LogWarning("AUTHENTICATION IS OFF (embedded default): every loopback caller acts for any tenant. " +
                          "Set DataPlane__Auth__Enabled=true and DataPlane__Auth__BootstrapKey before exposing this service.");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
            {
                var host = new Uri(address.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal)).Host;
                if (host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))) continue;
                logger.LogCritical("Refusing to serve {Address} without authentication; bind to 127.0.0.1 or enable API keys.", address);
                app.Lifetime.StopApplication();
            }
        });
        return app;
    }
}
