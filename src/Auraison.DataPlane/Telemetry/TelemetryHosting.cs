using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Lake;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Auraison.DataPlane.Telemetry;

/// <summary>
/// OpenTelemetry metrics and traces: the service's and the engine's own, ASP.NET Core, HttpClient and Npgsql; a
/// Prometheus scrape endpoint at <c>/metrics</c> (management keys), OTLP export when an endpoint is configured.
/// </summary>
public static class TelemetryHosting
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddDataPlaneTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DataPlaneMetrics>();
        var otlp = builder.Configuration[$"{DataPlaneOptions.Section}:Telemetry:OtlpEndpoint"] ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("auraison-dataplane"))
            .WithMetrics(metrics => metrics
                .AddMeter(DataPlaneMetrics.Name, LakeTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(DataPlaneMetrics.Name, LakeTelemetry.Name)
                .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath))
                .AddHttpClientInstrumentation()
                .AddNpgsql());
        if (!string.IsNullOrWhiteSpace(otlp))
            telemetry.WithMetrics(metrics => metrics.AddOtlpExporter(exporter => exporter.Endpoint = new Uri(otlp)))
                .WithTracing(tracing => tracing.AddOtlpExporter(exporter => exporter.Endpoint = new Uri(otlp)));
        return builder;
    }

    /// <summary>Prometheus' scrape endpoint, for management keys (metrics name tenants and tables).</summary>
    public static WebApplication MapDataPlaneMetrics(this WebApplication app)
    {
        app.AuthenticatePath(MetricsPath, ApiScopes.Admin);
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}
