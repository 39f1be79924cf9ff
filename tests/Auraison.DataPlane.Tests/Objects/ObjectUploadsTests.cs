using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests.Objects;

/// <summary>Presigned uploads: a worker PUTs straight to S3, then completes; a local-directory lake has no such URLs.</summary>
public class ObjectUploadsTests
{
    private static readonly byte[] Cloud = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("ply point 1.0 2.0 3.0\n", 500)));

    private static async Task<JsonElement> BeginAsync(DataPlaneApp app, string key, string? sha256 = null, long? size = null)
    {
        var response = await app.Client.PostAsJsonAsync("/data/objects/uploads",
            new { tenant_id = "acme", key, content_type = "application/octet-stream", sha256, size_bytes = size, metadata = new { robot_id = "r2" } },
            DataPlaneApp.Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(DataPlaneApp.Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>The worker's PUT to the presigned URL: no API key, only the headers the grant names.</summary>
    private static async Task UploadAsync(JsonElement grant, byte[] bytes)
    {
        using var store = new HttpClient();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new(grant.GetProperty("headers").GetProperty("Content-Type").GetString()!);
        var response = await store.PutAsync(grant.GetProperty("url").GetString(), content, DataPlaneApp.Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(DataPlaneApp.Ct)}");
    }

    private static Task<HttpResponseMessage> CompleteAsync(DataPlaneApp app, JsonElement grant) =>
        app.Client.PostAsync($"/data/objects/uploads/{grant.GetProperty("upload_id").GetString()}/complete?tenant_id=acme", null, DataPlaneApp.Ct);

    /// <summary>Neither the upload's bytes nor the upload itself are left.</summary>
    private static async Task AssertGoneAsync(DataPlaneApp app, JsonElement grant)
    {
        var lake = await app.LakehouseAsync();
        Assert.Empty(await lake.Storage.ListAsync(lake.RawObjectsPath, DataPlaneApp.Ct).ToListAsync(DataPlaneApp.Ct));
        Assert.Equal(HttpStatusCode.NotFound, (await CompleteAsync(app, grant)).StatusCode);
    }

    [Fact]
    public async Task A_presigned_upload_completed_with_matching_size_and_checksum_is_an_object()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production);
        var grant = await BeginAsync(app, "clouds/scan-7.ply", ObjectClient.Sha256(Cloud), Cloud.Length);

        await UploadAsync(grant, Cloud);
        var completed = await CompleteAsync(app, grant);

        Assert.Equal(HttpStatusCode.Created, completed.StatusCode);
        Assert.Equal(Cloud, await app.Client.GetByteArrayAsync(ObjectClient.Url("clouds/scan-7.ply", "acme"), DataPlaneApp.Ct));
        Assert.Equal("\"r2\"", await app.ScalarAsync("acme", "SELECT json_extract_string(metadata, '$.robot_id') FROM objects.registry"));
    }

    [Fact]
    public async Task An_upload_whose_bytes_do_not_match_its_checksum_is_refused_and_deleted()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production);
        var grant = await BeginAsync(app, "clouds/bad.ply", new string('a', 64));

        await UploadAsync(grant, Cloud);
        var completed = await CompleteAsync(app, grant);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, completed.StatusCode);
        await AssertGoneAsync(app, grant);
    }

    [Fact]
    public async Task Completing_before_the_bytes_arrived_is_a_conflict_and_the_upload_stays_open()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production);
        var grant = await BeginAsync(app, "clouds/late.ply");

        var early = await CompleteAsync(app, grant);
        await UploadAsync(grant, Cloud);
        var completed = await CompleteAsync(app, grant);

        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Equal(HttpStatusCode.Created, completed.StatusCode);
    }

    [Fact]
    public async Task An_upload_never_completed_is_swept_with_its_bytes_by_the_orphans_step()
    {
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production, services: s => s.AddSingleton<TimeProvider>(time));
        var grant = await BeginAsync(app, "clouds/abandoned.ply");
        await UploadAsync(grant, Cloud);
        time.Now = DateTimeOffset.UtcNow.AddDays(3);

        var run = await app.Client.PostAsync("/data/maintenance/orphans", null, DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        await AssertGoneAsync(app, grant);
    }

    [Fact]
    public async Task Metadata_that_cannot_be_a_header_is_refused()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production);

        var response = await app.Client.PostAsJsonAsync("/data/objects/uploads",
            new { tenant_id = "acme", key = "a.bin", metadata = new { note = "two\nlines" } }, DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_lake_in_a_local_directory_offers_no_presigned_uploads()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var response = await app.Client.PostAsJsonAsync("/data/objects/uploads", new { tenant_id = "acme", key = "a.bin" }, DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
