using System.Net;
using System.Net.Http.Json;
using Auraison.DataPlane.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests.Auth;

public class AuthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Dictionary<string, string?> KeysOn = new() { ["DataPlane:Auth:Enabled"] = "true" };

    private static Task<HttpResponseMessage> CallAsync(HttpClient client, string endpoint, string tenant) => endpoint switch
    {
        "ingest" => client.PostAsJsonAsync("/data/ingest", new { table = "job_outcomes", tenant_id = tenant, job_id = "j", schema_version = "1", records = new[] { new { job_id = "a" } } }, Ct),
        "query" => client.GetAsync($"/data/query?tenant_id={tenant}&sql=SELECT%201", Ct),
        "tables" => client.GetAsync($"/data/tables?tenant_id={tenant}", Ct),
        "retrieve" => client.GetAsync($"/data/retrieve/status?tenant_id={tenant}", Ct),
        "snapshots" => client.GetAsync($"/data/snapshots?tenant_id={tenant}", Ct),
        "policy" => client.GetAsync($"/data/policy/{tenant}", Ct),
        "keys" => client.GetAsync("/data/keys", Ct),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
    };

    public static TheoryData<string, string, bool> ScopeMatrix()
    {
        var data = new TheoryData<string, string, bool>();
        var endpoints = new Dictionary<string, string>
        {
            ["ingest"] = "ingest", ["query"] = "query", ["tables"] = "query", ["retrieve"] = "retrieve",
            ["snapshots"] = "snapshots", ["policy"] = "policy", ["keys"] = "admin",
        };
        foreach (var scope in new[] { "ingest", "query", "retrieve", "snapshots", "policy" })
            foreach (var (endpoint, needs) in endpoints)
                data.Add(scope, endpoint, needs == scope);
        return data;
    }

    [Theory, MemberData(nameof(ScopeMatrix))]
    public async Task A_tenant_key_reaches_exactly_the_endpoints_of_its_scope(string scope, string endpoint, bool allowed)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, KeysOn);
        var key = await app.CreateKeyAsync("acme", scope);

        var response = await CallAsync(app.ClientWith(key), endpoint, "acme");

        if (allowed) Assert.True(response.IsSuccessStatusCode, $"{scope} → {endpoint}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        else Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_key_used_for_another_tenant_is_403(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, KeysOn);
        var key = await app.CreateKeyAsync("acme", "ingest", "query");

        var ingest = await CallAsync(app.ClientWith(key), "ingest", "globex");
        var query = await CallAsync(app.ClientWith(key), "query", "globex");

        Assert.Equal(HttpStatusCode.Forbidden, ingest.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, query.StatusCode);
        Assert.Contains("cannot act for tenant globex", await query.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    [InlineData("dpk_0000000000000000_forged")]
    public async Task A_missing_or_unknown_key_is_401(string? key)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, KeysOn);

        var response = await CallAsync(app.ClientWith(key), "query", "acme");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_revoked_key_stops_working_at_once()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, KeysOn);
        var key = await app.CreateKeyAsync("acme", "query");
        var client = app.ClientWith(key);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(client, "query", "acme")).StatusCode);

        var revoked = await app.Client.DeleteAsync($"/data/keys/{key.Split('_')[1]}", Ct);

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallAsync(client, "query", "acme")).StatusCode);
    }

    [Fact]
    public async Task A_key_revoked_through_another_replica_stops_working_here_within_the_reuse_time()
    {
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production, services: s => s.AddSingleton<TimeProvider>(time));
        var key = await app.CreateKeyAsync("acme", "query");
        var client = app.ClientWith(key);
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(client, "query", "acme")).StatusCode);
        await using var other = new DataPlaneFactory(new Dictionary<string, string?>(app.Lake.HostConfiguration)
        {
            ["DataPlane:DataDir"] = Path.Combine(app.Lake.WorkDirectory, "replica-2"),
        });
        using var otherClient = other.CreateAuthorizedClient();

        (await otherClient.DeleteAsync($"/data/keys/{key.Split('_')[1]}", Ct)).EnsureSuccessStatusCode();
        var meanwhile = await CallAsync(client, "query", "acme");
        time.Now += Auraison.DataPlane.Auth.Authenticator.Reuse;
        var after = await CallAsync(client, "query", "acme");

        Assert.Equal(HttpStatusCode.OK, meanwhile.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Keys_are_listed_without_secrets_and_stored_hashed()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, KeysOn);
        var key = await app.CreateKeyAsync("acme", "query");

        var listed = await app.Client.GetStringAsync("/data/keys", Ct);
        var lake = await app.LakehouseAsync();
        await using var connection = await lake.Catalog.OpenAsync(Ct);
        var stored = await Lake.Catalog.DbConnectionExtensions.ScalarAsync<string>(connection, null, "SELECT secret_hash FROM dataplane_api_keys", Ct);

        var secret = key.Split('_', 3)[2];
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
        Assert.NotEqual(secret, stored);
        Assert.Contains("\"tenant_id\":\"acme\"", listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_management_key_with_admin_acts_for_any_tenant()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, KeysOn);
        var admin = await app.CreateKeyAsync(null, "admin");

        Assert.Equal(HttpStatusCode.Created, (await CallAsync(app.ClientWith(admin), "ingest", "acme")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await CallAsync(app.ClientWith(admin), "ingest", "globex")).StatusCode);
    }

    [Fact]
    public async Task A_tenant_key_cannot_hold_the_admin_scope()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, KeysOn);

        var response = await app.Client.PostAsJsonAsync("/data/keys", new { tenant_id = "acme", scopes = new[] { "admin" } }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Requests_past_a_keys_rate_get_429_with_retry_after()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded,
            new Dictionary<string, string?>(KeysOn) { ["DataPlane:Auth:PermitsPerSecond"] = "1", ["DataPlane:Auth:Burst"] = "3" });
        var key = await app.CreateKeyAsync("acme", "query");
        var client = app.ClientWith(key);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 6; i++)
        {
            last = await CallAsync(client, "query", "acme");
            statuses.Add(last.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, last.StatusCode);
        Assert.True(int.Parse(last.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("application/problem+json", last.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void Production_mode_cannot_turn_keys_off()
    {
        var options = new DataPlaneOptions { Catalog = "Host=db;Database=lake", Auth = new AuthOptions { Enabled = false } };

        var result = new DataPlaneOptionsValidator().Validate(null, options);

        Assert.Contains(result.Failures ?? [], f => f.StartsWith("DataPlane:Auth:Enabled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_embedded_default_serves_loopback_callers_without_a_key()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        Assert.Equal(HttpStatusCode.OK, (await CallAsync(app.ClientWith(null), "query", "acme")).StatusCode);
    }
}
