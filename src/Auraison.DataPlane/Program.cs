using Auraison.DataPlane.Attach;
using Auraison.DataPlane.WebConsole;
using Auraison.DataPlane.Datasets;
using Auraison.DataPlane.Features;
using Auraison.DataPlane.Auth;
using Auraison.DataPlane.Health;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Ingest;
using Auraison.DataPlane.Maintenance;
using Auraison.DataPlane.Mcp;
using Auraison.DataPlane.Objects;
using Auraison.DataPlane.Policy;
using Auraison.DataPlane.Query;
using Auraison.DataPlane.Retrieval;
using Auraison.DataPlane.Snapshots;
using Auraison.DataPlane.Tables;
using Auraison.DataPlane.Telemetry;

var builder = WebApplication.CreateBuilder(args);
builder.AddDataPlane();
builder.AddDataPlaneTelemetry();

var app = builder.Build();
if (app.InvalidSettings() is { Count: > 0 } invalid)
{
    // One line per bad setting, named, instead of the host's stack trace.
    foreach (var failure in invalid) Console.Error.WriteLine($"Invalid configuration: {failure}");
    return 2;
}

app.UseDataPlane();
app.MapHealth();
app.MapIngest();
app.MapQuery();
app.MapTables();
app.MapSnapshots();
app.MapObjects();
app.MapFeatures();
app.MapDatasets();
app.MapRetrieval();
app.MapKeys();
app.MapPolicy();
app.MapMaintenance();
app.MapAttach();
app.MapLakeMcp();
app.MapConsole();
app.MapDataPlaneMetrics();

await app.RunAsync();
return 0;
