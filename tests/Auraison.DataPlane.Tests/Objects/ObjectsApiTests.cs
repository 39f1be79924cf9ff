using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests.Objects;

public class ObjectsApiTests
{
    private static readonly byte[] Chunk = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("fMP4 chunk bytes ", 1000)));

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_stored_object_comes_back_with_its_bytes_type_metadata_and_checksum(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var put = await app.Client.PutOkAsync("acme", "videos/r1/chunk-0001.mp4", Chunk, ("robot_id", "r1"), ("kind", "video"));
        var stored = await put.Content.ReadFromJsonAsync<JsonElement>(DataPlaneApp.Ct);

        var get = await app.Client.GetAsync(ObjectClient.Url("videos/r1/chunk-0001.mp4", "acme"), DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(Chunk, await get.Content.ReadAsByteArrayAsync(DataPlaneApp.Ct));
        Assert.Equal("video/mp4", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal("r1", get.Headers.GetValues("x-meta-robot_id").Single());
        Assert.Equal($"\"{ObjectClient.Sha256(Chunk)}\"", get.Headers.ETag?.Tag);
        Assert.Equal(ObjectClient.Sha256(Chunk), stored.GetProperty("sha256").GetString());
        Assert.Equal(Chunk.Length, stored.GetProperty("size_bytes").GetInt64());
        Assert.True(stored.GetProperty("lake_snapshot_id").GetInt64() > 0);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_checksum_mismatch_is_refused_and_stores_nothing(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var lake = await app.LakehouseAsync();
        var before = await app.FootprintAsync();

        var response = await app.Client.PutAsync("acme", "videos/bad.mp4", Chunk, checksum: new string('0', 64));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync(ObjectClient.Url("videos/bad.mp4", "acme"), DataPlaneApp.Ct)).StatusCode);
        Assert.Empty(await lake.Storage.ListAsync(lake.RawObjectsPath, DataPlaneApp.Ct).ToListAsync(DataPlaneApp.Ct));
        Assert.Equal(before, await app.FootprintAsync());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_range_request_gets_those_bytes_and_a_matching_etag_gets_not_modified(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.Client.PutOkAsync("acme", "videos/c.mp4", Chunk);

        var range = new HttpRequestMessage(HttpMethod.Get, ObjectClient.Url("videos/c.mp4", "acme"));
        range.Headers.Range = new(100, 199);
        var partial = await app.Client.SendAsync(range, DataPlaneApp.Ct);
        var conditional = new HttpRequestMessage(HttpMethod.Get, ObjectClient.Url("videos/c.mp4", "acme"));
        conditional.Headers.IfNoneMatch.Add(new($"\"{ObjectClient.Sha256(Chunk)}\""));
        var notModified = await app.Client.SendAsync(conditional, DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(Chunk[100..200], await partial.Content.ReadAsByteArrayAsync(DataPlaneApp.Ct));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Head_answers_the_headers_without_the_bytes(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.Client.PutOkAsync("acme", "clouds/scan.ply", Chunk);

        var head = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, ObjectClient.Url("clouds/scan.ply", "acme")), DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(Chunk.Length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(DataPlaneApp.Ct));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task The_same_bytes_again_replay_and_other_bytes_under_the_key_conflict(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.Client.PutOkAsync("acme", "models/ckpt.pt", Chunk);

        var again = await app.Client.PutAsync("acme", "models/ckpt.pt", Chunk);
        var other = await app.Client.PutAsync("acme", "models/ckpt.pt", [1, 2, 3]);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal(Chunk, await app.Client.GetByteArrayAsync(ObjectClient.Url("models/ckpt.pt", "acme"), DataPlaneApp.Ct));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_deleted_object_is_gone_with_its_bytes_and_its_key_can_be_used_again(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var lake = await app.LakehouseAsync();
        await app.Client.PutOkAsync("acme", "models/ckpt.pt", Chunk);

        var deleted = await app.Client.DeleteAsync(ObjectClient.Url("models/ckpt.pt", "acme"), DataPlaneApp.Ct);
        var again = await app.Client.DeleteAsync(ObjectClient.Url("models/ckpt.pt", "acme"), DataPlaneApp.Ct);
        var stored = await lake.Storage.ListAsync(lake.RawObjectsPath, DataPlaneApp.Ct).ToListAsync(DataPlaneApp.Ct);
        var rows = await app.ScalarAsync("acme", "SELECT count(*) FROM objects.registry");
        await app.Client.PutOkAsync("acme", "models/ckpt.pt", [1, 2, 3]);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Empty(stored);
        Assert.Equal("0", rows);
        Assert.Equal([1, 2, 3], await app.Client.GetByteArrayAsync(ObjectClient.Url("models/ckpt.pt", "acme"), DataPlaneApp.Ct));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Another_tenant_neither_sees_nor_reaches_an_object(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, new Dictionary<string, string?> { ["DataPlane:Auth:Enabled"] = "true" });
        await app.Client.PutOkAsync("acme", "videos/secret.mp4", Chunk);
        var globex = app.ClientWith(await app.CreateKeyAsync("globex", "query", "ingest"));

        var asGlobex = await app.Client.GetAsync(ObjectClient.Url("videos/secret.mp4", "globex"), DataPlaneApp.Ct);
        var withGlobexKey = await globex.GetAsync(ObjectClient.Url("videos/secret.mp4", "acme"), DataPlaneApp.Ct);
        var deleteWithGlobexKey = await globex.DeleteAsync(ObjectClient.Url("videos/secret.mp4", "acme"), DataPlaneApp.Ct);
        var listed = await globex.GetFromJsonAsync<JsonElement>("/data/objects?tenant_id=globex", DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.NotFound, asGlobex.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, withGlobexKey.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, deleteWithGlobexKey.StatusCode);
        Assert.Equal(0, listed.GetProperty("objects").GetArrayLength());
        Assert.Equal("0", await app.ScalarAsync("globex", "SELECT count(*) FROM objects.registry"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task The_registry_joins_event_rows_to_the_objects_they_name(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.Client.PutOkAsync("acme", "videos/r1/chunk-0007.mp4", Chunk, ("robot_id", "r1"));
        await app.IngestOkAsync("acme", "event_log.object_detections", new object[] { new { frame = 3, label = "person", video_chunk = "videos/r1/chunk-0007.mp4" } });

        var joined = await app.QueryAsync("acme",
            "SELECT d.label, o.size_bytes, o.content_type, json_extract_string(o.metadata, '$.robot_id') FROM event_log.object_detections d " +
            "JOIN objects.registry o ON o.key = d.video_chunk");

        Assert.Equal($"[[\"person\",{Chunk.Length},\"video/mp4\",\"r1\"]]", joined.GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Objects_are_listed_by_prefix_a_page_at_a_time(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        foreach (var key in new[] { "videos/r1/a.mp4", "videos/r1/b.mp4", "videos/r1/c.mp4", "videos/r2/a.mp4", "maps/m.parquet" })
            await app.Client.PutOkAsync("acme", key, Encoding.UTF8.GetBytes(key));

        var first = await app.Client.GetFromJsonAsync<JsonElement>("/data/objects?tenant_id=acme&prefix=videos/r1/&limit=2", DataPlaneApp.Ct);
        var next = first.GetProperty("next_after").GetString();
        var second = await app.Client.GetFromJsonAsync<JsonElement>($"/data/objects?tenant_id=acme&prefix=videos/r1/&limit=2&after={next}", DataPlaneApp.Ct);

        static string[] Keys(JsonElement page) => page.GetProperty("objects").EnumerateArray().Select(o => o.GetProperty("key").GetString()!).ToArray();
        Assert.Equal(["videos/r1/a.mp4", "videos/r1/b.mp4"], Keys(first));
        Assert.Equal(["videos/r1/c.mp4"], Keys(second));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next_after").ValueKind);
    }

    // Dot segments never arrive: clients and Kestrel resolve them in the URL before routing.
    [Theory]
    [InlineData("videos//a.mp4")]
    [InlineData("videos/%5C..%5C..%5Cetc/passwd")]
    [InlineData("videos/a%01.mp4")]
    public async Task A_key_that_could_leave_its_prefix_is_refused(string key)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var response = await app.Client.PutAsync("acme", key, Chunk);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Registry_rows_cannot_be_ingested_directly()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var response = await app.IngestAsync("acme", "objects.registry", new object[] { new { key = "x", path = "/etc/passwd" } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Objects_count_toward_the_storage_quota(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var policy = await app.Client.PutAsJsonAsync("/data/policy", new { tenant_id = "acme", max_storage_gb = 20_000.0 / (1024 * 1024 * 1024) }, DataPlaneApp.Ct);
        Assert.True(policy.IsSuccessStatusCode);
        await app.Client.PutOkAsync("acme", "a.bin", new byte[15_000]);

        var second = await app.Client.PutAsync("acme", "b.bin", new byte[15_000]);

        Assert.Equal(HttpStatusCode.InsufficientStorage, second.StatusCode);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Retention_deletes_the_objects_stored_before_its_cutoff_with_their_bytes(LakeMode mode)
    {
        var time = new MovableTime();
        await using var app = await DataPlaneApp.StartAsync(mode, services: s => s.AddSingleton<TimeProvider>(time));
        var lake = await app.LakehouseAsync();
        await app.Client.PutOkAsync("acme", "videos/old.mp4", Chunk);
        var boundary = DateTimeOffset.UtcNow;
        await Task.Delay(20, DataPlaneApp.Ct);
        await app.Client.PutOkAsync("acme", "videos/new.mp4", Chunk);
        var policy = await app.Client.PutAsJsonAsync("/data/policy", new { tenant_id = "acme", retention_days = 1 }, DataPlaneApp.Ct);
        Assert.True(policy.IsSuccessStatusCode);
        time.Now = boundary.AddDays(1);

        var run = await app.Client.PostAsync("/data/policy/acme/retention?dry_run=false", null, DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync(ObjectClient.Url("videos/old.mp4", "acme"), DataPlaneApp.Ct)).StatusCode);
        Assert.Equal(Chunk, await app.Client.GetByteArrayAsync(ObjectClient.Url("videos/new.mp4", "acme"), DataPlaneApp.Ct));
        Assert.Single(await lake.Storage.ListAsync(lake.RawObjectsPath, DataPlaneApp.Ct).ToListAsync(DataPlaneApp.Ct));
    }
}
