using System.Net.Http.Json;
using System.Text.Json;
using Auraison.DataPlane.Hosting;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests;

/// <summary>The service on a private lake, with the calls tests make; one per test.</summary>
internal sealed class DataPlaneApp : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string?> _configuration;
    private readonly Action<IServiceCollection>? _services;

    private DataPlaneApp(TestLake lake, IReadOnlyDictionary<string, string?> configuration, Action<IServiceCollection>? services)
    {
        Lake = lake;
        _configuration = configuration;
        _services = services;
        Factory = new DataPlaneFactory(configuration, services);
        Client = Factory.CreateAuthorizedClient();
    }

    public TestLake Lake { get; }

    public DataPlaneFactory Factory { get; private set; }

    public HttpClient Client { get; private set; }

    /// <summary>Stops the service as a process exit would; its lake stays for <see cref="Restart"/> or another reader.</summary>
    public async Task StopAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
    }

    /// <summary>Starts the service again, with the same settings, on the lake it left.</summary>
    public void Restart()
    {
        Factory = new DataPlaneFactory(_configuration, _services);
        Client = Factory.CreateAuthorizedClient();
    }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Settings under which every commit writes Parquet (no data inlining): for tests about files.</summary>
    public static IReadOnlyDictionary<string, string?> FilesOnly { get; } = new Dictionary<string, string?> { ["DataPlane:Ingest:InlineRows"] = "0" };

    public static async Task<DataPlaneApp> StartAsync(LakeMode mode, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null) =>
        StartOn(await TestLake.CreateAsync(mode), settings, services);

    /// <summary>The service on a lake the test made (for instance in an empty database); the app disposes it.</summary>
    public static DataPlaneApp StartOn(TestLake lake, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var configuration = new Dictionary<string, string?>(lake.HostConfiguration);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) configuration[key] = value;
        return new DataPlaneApp(lake, configuration, services);
    }

    /// <summary>A client presenting another key (or none).</summary>
    public HttpClient ClientWith(string? key)
    {
        var client = Factory.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    /// <summary>Creates an API key through the API with the test management key; returns the secret.</summary>
    public async Task<string> CreateKeyAsync(string? tenant, params string[] scopes)
    {
        var response = await Client.PostAsJsonAsync("/data/keys", new { tenant_id = tenant, scopes }, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"{(int)response.StatusCode} {body}");
        return body.GetProperty("key").GetString()!;
    }

    public Task<HttpResponseMessage> IngestAsync(string tenant, string table, object records, string? idempotencyKey = null,
        string? onError = null, string job = "job-1")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/data/ingest" + (onError is null ? "" : $"?on_error={onError}"))
        {
            Content = JsonContent.Create(new { table, records, schema_version = "1", job_id = job, tenant_id = tenant }),
        };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return Client.SendAsync(request, Ct);
    }

    /// <summary>Ingests and insists on 201; returns the reply.</summary>
    public async Task<JsonElement> IngestOkAsync(string tenant, string table, object records)
    {
        var response = await IngestAsync(tenant, table, records);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"ingest failed: {(int)response.StatusCode} {body}");
        return body;
    }

    public Task<HttpResponseMessage> QueryRawAsync(string tenant, string sql, string extra = "") =>
        Client.GetAsync($"/data/query?tenant_id={Uri.EscapeDataString(tenant)}&sql={Uri.EscapeDataString(sql)}{extra}", Ct);

    /// <summary>Runs a query that must succeed; returns the reply.</summary>
    public async Task<JsonElement> QueryAsync(string tenant, string sql, string extra = "")
    {
        var response = await QueryRawAsync(tenant, sql, extra);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(response.IsSuccessStatusCode, $"query failed: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>The single value of a one-row, one-column query, as JSON text.</summary>
    public async Task<string> ScalarAsync(string tenant, string sql) =>
        (await QueryAsync(tenant, sql)).GetProperty("rows")[0][0].GetRawText();

    /// <summary>The tenant's table listing, by table name.</summary>
    public async Task<Dictionary<string, JsonElement>> TablesAsync(string tenant) =>
        (await Client.GetFromJsonAsync<JsonElement>($"/data/tables?tenant_id={Uri.EscapeDataString(tenant)}", Ct))
        .EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);

    /// <summary>Column names of a query's reply, in order.</summary>
    public static IReadOnlyList<string> ColumnNames(JsonElement reply) =>
        reply.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToList();

    public async Task<Lakehouse> LakehouseAsync() => await Factory.Services.GetRequiredService<LakeAccessor>().GetAsync(Ct);

    /// <summary>The local copy of a data file of the table (in <c>main</c>) in the tenant's partition.</summary>
    public async Task<string> LocalFileOfAsync(string table, string tenant)
    {
        var lake = await LakehouseAsync();
        var content = await lake.ReadAsync(SnapshotSelector.Latest, Ct, new ContentFilter(t => t.Name == table));
        var file = content.Data.Values.SelectMany(d => d.Files).First(f => f.PartitionValues.FirstOrDefault() == tenant);
        return await lake.Storage.GetLocalPathAsync(file.Path, Ct);
    }

    /// <summary>Counts in the catalog that "nothing was written" assertions compare: snapshots, data files, lineage rows.</summary>
    public async Task<(long Snapshots, long Files, long Lineage)> FootprintAsync()
    {
        var lake = await LakehouseAsync();
        await using var connection = await lake.Catalog.OpenAsync(Ct);
        return (await connection.ScalarAsync<long>(null, "SELECT count(*) FROM ducklake_snapshot", Ct),
            await connection.ScalarAsync<long>(null, "SELECT count(*) FROM ducklake_data_file", Ct),
            await connection.ScalarAsync<long>(null, "SELECT count(*) FROM dataplane_ingest_lineage", Ct));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        await Lake.DisposeAsync();
    }
}
