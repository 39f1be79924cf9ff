using System.Net.Http.Headers;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Auraison.DataPlane.Lake;
using Auraison.DataPlane.Lake.Model;
using DuckDB.NET.Data;
using Npgsql;

namespace Auraison.DataPlane.Bench;

/// <summary>
/// What every workload shares: the service in production mode (PostgreSQL catalog and vectors, S3 via s3rver) as its
/// own process, a client for it, and the same lake opened in this process for baselines and bulk set-up.
/// </summary>
internal sealed class BenchEnvironment : IAsyncDisposable
{
    public const string Tenant = "bench";
    private const string BootstrapKey = "bench-bootstrap-key-0123456789";

    private BenchEnvironment(BenchSizes sizes, string postgres, string catalog, string work, ServiceProcess service, HttpClient http, Lakehouse lake)
    {
        Sizes = sizes;
        Postgres = postgres;
        Catalog = catalog;
        Work = work;
        Service = service;
        Http = http;
        Lake = lake;
    }

    public BenchSizes Sizes { get; }

    /// <summary>The PostgreSQL server, for baselines of its own (COPY).</summary>
    public string Postgres { get; }

    /// <summary>The service's catalog and vector database (its own schema first on the search path).</summary>
    public string Catalog { get; }

    public string Work { get; }

    public ServiceProcess Service { get; }

    public HttpClient Http { get; }

    public Lakehouse Lake { get; }

    public static async Task<BenchEnvironment> StartAsync(BenchSizes sizes, string serviceDll)
    {
        var postgres = Environment.GetEnvironmentVariable("DATAPLANE_TEST_PG") ?? throw new InvalidOperationException("Run through bench/run.sh.");
        var s3 = Environment.GetEnvironmentVariable("DATAPLANE_TEST_S3") ?? throw new InvalidOperationException("Run through bench/run.sh.");
        var work = Directory.CreateTempSubdirectory("auraison-bench").FullName;
        var schema = $"bench_{DateTime.UtcNow:yyyyMMddHHmmss}";
        var catalog = new NpgsqlConnectionStringBuilder(postgres) { SearchPath = $"{schema},public", MaxPoolSize = 60 }.ConnectionString;
        using (var bucket = new AmazonS3Client(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config { ServiceURL = s3, ForcePathStyle = true }))
            try { await bucket.PutBucketAsync("bench"); } catch (AmazonS3Exception) { }

        var service = await ServiceProcess.StartAsync(serviceDll, new Dictionary<string, string>
        {
            ["DataPlane__DataDir"] = Path.Combine(work, "service"), ["DataPlane__Catalog"] = catalog, ["DataPlane__Vectors"] = catalog,
            ["DataPlane__DataPath"] = $"s3://bench/{schema}/", ["DataPlane__S3__ServiceUrl"] = s3, ["DataPlane__S3__AccessKey"] = "S3RVER",
            ["DataPlane__S3__SecretKey"] = "S3RVER", ["DataPlane__Auth__BootstrapKey"] = BootstrapKey, ["Serilog__MinimumLevel__Default"] = "Warning",
            // Each workload measures the files it wrote: a scheduled merge in the middle would change what is measured.
            ["DataPlane__Maintenance__IntervalSeconds"] = "0", ["DataPlane__Features__MaterializeSeconds"] = "0",
        });
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = service.Address, Timeout = TimeSpan.FromMinutes(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BootstrapKey);
        var lake = await Lakehouse.OpenAsync(new LakeSettings
        {
            WorkDirectory = Path.Combine(work, "bench"), CatalogConnectionString = catalog, DataPath = $"s3://bench/{schema}/",
            S3 = new S3Settings { ServiceUrl = s3, AccessKey = "S3RVER", SecretKey = "S3RVER" },
        }, CancellationToken.None);
        return new BenchEnvironment(sizes, postgres, catalog, work, service, http, lake);
    }

    /// <summary>A client with a key of the bench tenant, as an agent has (a management key skips the key lookup).</summary>
    public async Task<HttpClient> TenantClientAsync()
    {
        using var created = await Http.PostAsync("/data/keys", new StringContent(
            $"{{\"tenant_id\":\"{Tenant}\",\"scopes\":[\"query\",\"retrieve\"],\"name\":\"bench agent\"}}", Encoding.UTF8, "application/json"));
        created.EnsureSuccessStatusCode();
        var key = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString();
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = Service.Address, Timeout = Http.Timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>POSTs one ingest request and fails the run on anything but success.</summary>
    public async Task IngestAsync(string body)
    {
        using var response = await Http.PostAsync("/data/ingest", new StringContent(body, Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
    }

    /// <summary>A plain DuckDB with a view (same name) over exactly the files the service reads of the table, downloaded to this process's cache.</summary>
    public async Task<DuckDBConnection> DirectAsync(string qualifiedTable)
    {
        var content = await Lake.ReadAsync(SnapshotSelector.Latest, CancellationToken.None, new(t => t.QualifiedName == qualifiedTable));
        var files = (await Lake.Reader.LocalizeAsync(content, CancellationToken.None)).Values;
        var direct = new DuckDBConnection("Data Source=:memory:");
        direct.Open();
        var (schema, name) = (qualifiedTable.Split('.')[0], qualifiedTable.Split('.')[1]);
        await IngestWorkloads.ExecuteAsync(direct, $"SET TimeZone = 'UTC'; CREATE SCHEMA {schema}; CREATE VIEW {schema}.{name} AS SELECT * FROM read_parquet([" +
                                                   string.Join(", ", files.Select(f => $"'{f}'")) + "])");
        return direct;
    }

    public static string IngestBody(string table, string tenant, string jobId, string records) =>
        $"{{\"table\":\"{table}\",\"tenant_id\":\"{tenant}\",\"job_id\":\"{jobId}\",\"schema_version\":\"1\",\"records\":{records}}}";

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Lake.DisposeAsync();
        await Service.DisposeAsync();
        Directory.Delete(Work, recursive: true);
    }
}
