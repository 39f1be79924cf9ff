using System.Text.Json;
using Auraison.DataPlane.Configuration;
using Auraison.DataPlane.Health;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Mcp;
using Auraison.DataPlane.Query;
using Auraison.DataPlane.Retrieval;
using Auraison.DataPlane.Tables;
using Microsoft.Extensions.Options;
using Serilog;

namespace Auraison.DataPlane.Hosting;

/// <summary>The composition of the service: what it registers and the middleware it runs, in order.</summary>
public static class DataPlaneHosting
{
    public static WebApplicationBuilder AddDataPlane(this WebApplicationBuilder builder)
    {
        builder.Services.AddSerilog((services, logger) => logger
            .MinimumLevel.Override("Microsoft.AspNetCore", Serilog.Events.LogEventLevel.Warning)
            .ReadFrom.Configuration(builder.Configuration)
            .Enrich.FromLogContext()
            .WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture));

        builder.Services.AddOptions<DataPlaneOptions>()
            .Bind(builder.Configuration.GetSection(DataPlaneOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DataPlaneOptions>, DataPlaneOptionsValidator>();

        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DictionaryKeyPolicy = null;
        });
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions["trace_id"] = context.HttpContext.TraceIdentifier);
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();

        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(swagger => swagger.SwaggerDoc("v1", new()
        {
            Title = "Auraison Data Plane",
            Version = "v1",
            Description = "Ingest, query, snapshots, retrieval and policy over a DuckLake lakehouse.",
        }));

        builder.Services.AddRequestDecompression();
        builder.Services.AddSingleton<LakeAccessor>();
        builder.Services.AddSingleton<Auth.Authenticator>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddRateLimiting(builder.Configuration);
        builder.Services.AddSingleton<Policy.PolicyStore>();
        builder.Services.AddSingleton<Policy.RetentionJob>();
        builder.Services.AddSingleton<Policy.RetentionFloors>();
        builder.Services.AddSingleton<Maintenance.MaintenanceSteps>();
        builder.Services.AddSingleton<Maintenance.MaintenanceRuns>();
        builder.Services.AddSingleton<Maintenance.MaintenanceRunner>();
        builder.Services.AddHostedService<Maintenance.MaintenanceScheduler>();
        builder.Services.AddHostedService<Policy.RetentionScheduler>();
        builder.Services.AddSingleton<Policy.StorageQuota>();
        builder.Services.AddSingleton<Tables.TableSchemas>();
        builder.Services.AddSingleton<IngestPreparer>();
        builder.Services.AddSingleton<IngestCommitter>();
        builder.Services.AddSingleton<Maintenance.InlineFlusher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Maintenance.InlineFlusher>());
        builder.Services.AddSingleton<IngestQueue>();
        builder.Services.AddSingleton<IngestService>();
        builder.Services.AddSingleton<QuerySessions>();
        builder.Services.AddSingleton<TableListings>();
        builder.Services.AddSingleton<QueryRunner>();
        builder.Services.AddSingleton<Snapshots.WorldModelSnapshots>();
        builder.Services.AddSingleton<Objects.ObjectIndex>();
        builder.Services.AddSingleton<Objects.ObjectWriter>();
        builder.Services.AddSingleton<Objects.ObjectUploads>();
        builder.Services.AddSingleton<Tables.FileRegistration>();
        builder.Services.AddSingleton<Features.FeatureViews>();
        builder.Services.AddSingleton<Features.FeatureSources>();
        builder.Services.AddSingleton<Features.PointInTime>();
        builder.Services.AddSingleton<Features.SpineReader>();
        builder.Services.AddSingleton<Features.OnlineFeatures>();
        builder.Services.AddHostedService<Features.FeatureMaterializer>();
        builder.Services.AddSingleton<Datasets.DatasetExports>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Datasets.DatasetExports>());
        builder.Services.AddVectorStore();
        builder.Services.AddEmbeddings();
        builder.Services.AddSingleton<RetrievalService>();
        builder.Services.AddSingleton<EmbeddingOutbox>();
        builder.Services.AddSingleton<EmbeddingIndexer>();
        if (builder.Configuration.GetValue($"{DataPlaneOptions.Section}:Retrieval:IndexerEnabled", true))
            builder.Services.AddHostedService(services => services.GetRequiredService<EmbeddingIndexer>());
        builder.Services.AddLakeMcp();
        builder.Services.AddHealthChecks()
            .AddCheck<CatalogHealthCheck>("catalog")
            .AddCheck<ObjectStoreHealthCheck>("object_store")
            .AddCheck<VectorStoreHealthCheck>("vectors");
        return builder;
    }

    /// <summary>The validation failures of the settings, checked before the host starts.</summary>
    public static IReadOnlyList<string> InvalidSettings(this WebApplication app)
    {
        try
        {
            _ = app.Services.GetRequiredService<IOptions<DataPlaneOptions>>().Value;
            return [];
        }
        catch (OptionsValidationException invalid)
        {
            return invalid.Failures.ToList();
        }
    }

    public static WebApplication UseDataPlane(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseSerilogRequestLogging();
        app.UseRequestDecompression();
        app.UseRateLimiter();
        app.WarnWhenAuthenticationIsOff();
        app.UseSwagger();
        app.UseSwaggerUI();
        return app;
    }
}
