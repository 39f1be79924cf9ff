using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Auraison.DataPlane.Tests.Objects;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Tests.Datasets;

/// <summary>LeRobot exports of turtlebot-style navigation trials: each trial an episode, each pose with its velocity command a frame.</summary>
public class DatasetExportTests
{
    private static readonly int[] FramesPerTrial = [3, 4, 5, 2, 6];

    private static async Task IngestTrialsAsync(DataPlaneApp app, string tenant = "acme")
    {
        var start = new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
        var frames = FramesPerTrial.SelectMany((count, trial) => Enumerable.Range(0, count).Select(i => new
        {
            trial_id = $"trial-{trial}", t = start.AddMinutes(trial * 10).AddMilliseconds(i * 100).ToString("O", CultureInfo.InvariantCulture),
            goal_text = trial % 2 == 0 ? "go to the kitchen" : "dock", x = trial + i * 0.1, y = -i * 0.2, theta = i * 0.05, v = 0.2 + i * 0.01, w = -0.1,
        })).ToArray();
        await app.IngestOkAsync(tenant, "event_log.nav_frames", frames);
    }

    private static object Request(string name = "nav-v1", long seed = 7) => new
    {
        tenant_id = "acme", name, format = "lerobot", fps = 10, seed, splits = new Dictionary<string, double> { ["train"] = 0.8, ["val"] = 0.2 },
        source = new
        {
            table = "event_log.nav_frames", episode = "trial_id", timestamp = "t", task = "goal_text",
            features = new Dictionary<string, string[]> { ["observation.state"] = ["x", "y", "theta"], ["action"] = ["v", "w"] },
        },
    };

    private static async Task<JsonElement> ExportAsync(DataPlaneApp app, object request)
    {
        var started = await app.Client.PostAsJsonAsync("/data/datasets", request, DataPlaneApp.Ct);
        var status = await started.Content.ReadFromJsonAsync<JsonElement>(DataPlaneApp.Ct);
        Assert.True(started.IsSuccessStatusCode, $"{(int)started.StatusCode} {status}");
        var id = status.GetProperty("dataset_id").GetString();
        for (var i = 0; i < 600 && status.GetProperty("status").GetString() == "running"; i++)
        {
            await Task.Delay(100, DataPlaneApp.Ct);
            status = await app.Client.GetFromJsonAsync<JsonElement>($"/data/datasets/{id}?tenant_id=acme", DataPlaneApp.Ct);
        }
        Assert.True(status.GetProperty("status").GetString() == "succeeded", status.ToString());
        return status;
    }

    private static async Task<string> DownloadAsync(DataPlaneApp app, JsonElement status, string relative)
    {
        var key = status.GetProperty("location").GetString() + relative;
        var path = Path.Combine(app.Lake.WorkDirectory, $"download-{Guid.NewGuid():N}-{Path.GetFileName(relative)}");
        await File.WriteAllBytesAsync(path, await app.Client.GetByteArrayAsync(ObjectClient.Url(key, "acme"), DataPlaneApp.Ct), DataPlaneApp.Ct);
        return path;
    }

    private static async Task<List<object?[]>> ReadAsync(string sql)
    {
        await using var duck = new DuckDBConnection("Data Source=:memory:");
        await duck.OpenAsync(DataPlaneApp.Ct);
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(DataPlaneApp.Ct);
        List<object?[]> rows = [];
        while (await reader.ReadAsync(DataPlaneApp.Ct))
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i)).ToArray());
        return rows;
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_lerobot_export_has_the_trials_as_episodes_with_their_frames_tasks_and_stats(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await IngestTrialsAsync(app);
        await IngestTrialsAsync(app, "globex");

        var status = await ExportAsync(app, Request());

        var info = JsonDocument.Parse(await File.ReadAllTextAsync(await DownloadAsync(app, status, "meta/info.json"), DataPlaneApp.Ct)).RootElement;
        Assert.Equal("v3.0", info.GetProperty("codebase_version").GetString());
        Assert.Equal(FramesPerTrial.Length, info.GetProperty("total_episodes").GetInt32());
        Assert.Equal(FramesPerTrial.Sum(), info.GetProperty("total_frames").GetInt32());
        Assert.Equal(2, info.GetProperty("total_tasks").GetInt32());
        Assert.Equal(10, info.GetProperty("fps").GetDouble());
        Assert.Equal("0:4", info.GetProperty("splits").GetProperty("train").GetString());
        Assert.Equal("4:5", info.GetProperty("splits").GetProperty("val").GetString());
        Assert.Equal([3], info.GetProperty("features").GetProperty("observation.state").GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(["v", "w"], info.GetProperty("features").GetProperty("action").GetProperty("names").EnumerateArray().Select(n => n.GetString()));

        var episodes = await ReadAsync($"SELECT length, dataset_from_index, dataset_to_index FROM read_parquet('{await DownloadAsync(app, status, "meta/episodes/chunk-000/file-000.parquet")}') ORDER BY episode_index");
        Assert.Equal(FramesPerTrial.Order().Select(n => (long)n), episodes.Select(e => (long)e[0]!).Order());
        Assert.Equal(FramesPerTrial.Sum(), (long)episodes[^1][2]!);
        var data = await DownloadAsync(app, status, "data/chunk-000/file-000.parquet");
        Assert.Equal("True", (await ReadAsync($"""
            SELECT bool_and(frame_index < 10) AND count(*) = {FramesPerTrial.Sum()} AND count(DISTINCT "index") = count(*)
                   AND bool_and(abs("observation.state"[2] + frame_index * 0.2) < 1e-5) AND bool_and(abs("timestamp" - frame_index * 0.1) < 1e-5)
            FROM read_parquet('{data}')
            """))[0][0]?.ToString());
        var stats = JsonDocument.Parse(await File.ReadAllTextAsync(await DownloadAsync(app, status, "meta/stats.json"), DataPlaneApp.Ct)).RootElement;
        Assert.Equal(-1.0, stats.GetProperty("observation.state").GetProperty("min")[1].GetDouble(), 5);
        Assert.Equal(FramesPerTrial.Sum(), stats.GetProperty("action").GetProperty("count")[0].GetInt32());
        Assert.Equal(2, (await ReadAsync($"SELECT count(*) FROM read_parquet('{await DownloadAsync(app, status, "meta/tasks.parquet")}')")).Single()[0] is long tasks ? tasks : 0);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_camera_stream_becomes_a_video_feature_with_each_episodes_chunk_from_the_object_store(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var start = new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
        var frames = Enumerable.Range(0, 3).SelectMany(trial => Enumerable.Range(0, 4).Select(i => new
        {
            trial_id = $"trial-{trial}", t = start.AddMinutes(trial).AddMilliseconds(i * 100).ToString("O", CultureInfo.InvariantCulture), x = i * 1.0,
            video_chunk = $"videos/trial-{trial}/chunk-000.mp4",
        })).ToArray();
        await app.IngestOkAsync("acme", "event_log.camera_frames", frames);
        for (var trial = 0; trial < 3; trial++) await app.Client.PutOkAsync("acme", $"videos/trial-{trial}/chunk-000.mp4", Encoding.UTF8.GetBytes($"fmp4 of trial {trial}"));

        var status = await ExportAsync(app, new
        {
            tenant_id = "acme", name = "cams", format = "lerobot", fps = 10,
            source = new
            {
                table = "event_log.camera_frames", episode = "trial_id", timestamp = "t", features = new Dictionary<string, string[]> { ["observation.state"] = ["x"] },
                videos = new Dictionary<string, object> { ["observation.images.front"] = new { column = "video_chunk", shape = new[] { 480, 640, 3 } } },
            },
        });

        var info = JsonDocument.Parse(await File.ReadAllTextAsync(await DownloadAsync(app, status, "meta/info.json"), DataPlaneApp.Ct)).RootElement;
        Assert.Equal("video", info.GetProperty("features").GetProperty("observation.images.front").GetProperty("dtype").GetString());
        Assert.StartsWith("videos/{video_key}/", info.GetProperty("video_path").GetString(), StringComparison.Ordinal);
        var episodes = await ReadAsync($"SELECT episode_index, \"videos/observation.images.front/file_index\", \"videos/observation.images.front/to_timestamp\" " +
                                       $"FROM read_parquet('{await DownloadAsync(app, status, "meta/episodes/chunk-000/file-000.parquet")}') ORDER BY episode_index");
        Assert.All(episodes, e => Assert.Equal(Convert.ToInt64(e[0], CultureInfo.InvariantCulture), Convert.ToInt64(e[1], CultureInfo.InvariantCulture)));
        Assert.All(episodes, e => Assert.Equal(0.3, Convert.ToDouble(e[2], CultureInfo.InvariantCulture), 3));
        var first = await File.ReadAllTextAsync(await DownloadAsync(app, status, "videos/observation.images.front/chunk-000/file-000.mp4"), DataPlaneApp.Ct);
        Assert.Matches("^fmp4 of trial [0-2]$", first);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task The_same_rows_export_to_byte_identical_files_and_the_same_request_is_the_same_dataset(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await IngestTrialsAsync(app);
        var first = await ExportAsync(app, Request("nav-a"));

        var again = await app.Client.PostAsJsonAsync("/data/datasets", Request("nav-a"), DataPlaneApp.Ct);
        var second = await ExportAsync(app, Request("nav-b"));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(first.GetProperty("dataset_id").GetString(), (await again.Content.ReadFromJsonAsync<JsonElement>(DataPlaneApp.Ct)).GetProperty("dataset_id").GetString());
        Assert.Equal(first.GetProperty("lake_snapshot_id").GetInt64(), second.GetProperty("lake_snapshot_id").GetInt64());
        foreach (var file in new[] { "data/chunk-000/file-000.parquet", "meta/episodes/chunk-000/file-000.parquet", "meta/stats.json", "meta/tasks.parquet" })
            Assert.Equal(await File.ReadAllBytesAsync(await DownloadAsync(app, first, file), DataPlaneApp.Ct),
                await File.ReadAllBytesAsync(await DownloadAsync(app, second, file), DataPlaneApp.Ct));
        Assert.Equal("2", await app.ScalarAsync("acme", "SELECT count(*) FROM datasets.registry"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task An_export_its_replica_abandoned_is_started_again_when_asked_again(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await IngestTrialsAsync(app);
        var id = (await ExportAsync(app, Request())).GetProperty("dataset_id").GetString();
        // As a replica killed mid-export leaves it: running, and silent for an hour.
        var lake = await app.LakehouseAsync();
        await using (var connection = await lake.Catalog.OpenAsync(DataPlaneApp.Ct))
            await Auraison.DataPlane.Lake.Catalog.DbConnectionExtensions.ExecuteAsync(connection, null,
                "UPDATE dataplane_datasets SET status = 'running', heartbeat_at = CAST($1 AS TIMESTAMP WITH TIME ZONE) WHERE dataset_id = $2", DataPlaneApp.Ct,
                Auraison.DataPlane.Lake.Catalog.CatalogReader.Timestamp(DateTimeOffset.UtcNow.AddHours(-1)), id);

        var again = await app.Client.PostAsJsonAsync("/data/datasets", Request(), DataPlaneApp.Ct);
        var finished = await ExportAsync(app, Request());

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.Equal(id, finished.GetProperty("dataset_id").GetString());
    }

    [Fact]
    public async Task Another_seed_orders_the_episodes_differently_and_the_same_seed_the_same()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await IngestTrialsAsync(app);

        async Task<string> OrderAsync(string name, long seed) => string.Join(",", (await ReadAsync(
            $"SELECT length FROM read_parquet('{await DownloadAsync(app, await ExportAsync(app, Request(name, seed)), "meta/episodes/chunk-000/file-000.parquet")}') ORDER BY episode_index"))
            .Select(r => r[0]));

        var seven = await OrderAsync("a", 7);
        Assert.Equal(seven, await OrderAsync("b", 7));
        Assert.Contains(await Task.WhenAll(Enumerable.Range(8, 4).Select(seed => OrderAsync($"s{seed}", seed))), order => order != seven);
    }

    [Fact]
    public async Task An_export_of_a_table_without_the_tenants_rows_is_refused_with_its_reason()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await IngestTrialsAsync(app, "globex");

        var response = await app.Client.PostAsJsonAsync("/data/datasets", Request(), DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("event_log.nav_frames", await response.Content.ReadAsStringAsync(DataPlaneApp.Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_tenant_cannot_read_an_exports_status()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await IngestTrialsAsync(app);
        var status = await ExportAsync(app, Request());

        var asGlobex = await app.Client.GetAsync($"/data/datasets/{status.GetProperty("dataset_id").GetString()}?tenant_id=globex", DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.NotFound, asGlobex.StatusCode);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_parquet_export_shards_the_querys_rows_and_describes_them_in_its_manifest(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "event_log.object_detections",
            Enumerable.Range(0, 300).Select(i => new { frame = i, label = i % 3 == 0 ? "person" : "cup", confidence = (i % 10) / 10.0 }).ToArray());
        await app.IngestOkAsync("globex", "event_log.object_detections", new object[] { new { frame = 1, label = "person", confidence = 0.99 } });

        var status = await ExportAsync(app, new
        {
            tenant_id = "acme", name = "detections-v1", format = "parquet",
            source = new { sql = "SELECT label, confidence FROM event_log.object_detections WHERE confidence >= 0.5 ORDER BY frame" },
        });

        var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(await DownloadAsync(app, status, "manifest.json"), DataPlaneApp.Ct)).RootElement;
        Assert.Equal(150, manifest.GetProperty("total_rows").GetInt64());
        Assert.Equal(status.GetProperty("lake_snapshot_id").GetInt64(), manifest.GetProperty("lake_snapshot_id").GetInt64());
        Assert.Equal(["label", "confidence"], manifest.GetProperty("schema").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var shard = manifest.GetProperty("files")[0];
        var rows = await ReadAsync($"SELECT count(*), count(*) FILTER (WHERE label = 'person') FROM read_parquet('{await DownloadAsync(app, status, shard.GetProperty("path").GetString()!)}')");
        Assert.Equal(shard.GetProperty("rows").GetInt64(), (long)rows[0][0]!);
        Assert.Equal(150, manifest.GetProperty("files").EnumerateArray().Sum(f => f.GetProperty("rows").GetInt64()));
    }

    [Fact]
    public async Task A_parquet_export_whose_query_reaches_files_is_refused()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var response = await app.Client.PostAsJsonAsync("/data/datasets",
            new { tenant_id = "acme", name = "etc", format = "parquet", source = new { sql = "SELECT * FROM read_csv('/etc/passwd')" } }, DataPlaneApp.Ct);

        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest, response.StatusCode.ToString());
    }

    [Theory]
    [InlineData("""{"tenant_id":"acme","name":"Nav V1","format":"lerobot","fps":10,"source":{"table":"t","episode":"e","timestamp":"t","features":{"a":["x"]}}}""")]
    [InlineData("""{"tenant_id":"acme","name":"nav","format":"parquet","source":{}}""")]
    [InlineData("""{"tenant_id":"acme","name":"nav","format":"rlds","fps":10,"source":{"table":"t","episode":"e","timestamp":"t","features":{"a":["x"]}}}""")]
    [InlineData("""{"tenant_id":"acme","name":"nav","format":"lerobot","fps":0,"source":{"table":"t","episode":"e","timestamp":"t","features":{"a":["x"]}}}""")]
    [InlineData("""{"tenant_id":"acme","name":"nav","format":"lerobot","fps":10,"source":{"table":"t","episode":"e","timestamp":"t","features":{}}}""")]
    [InlineData("""{"tenant_id":"acme","name":"nav","format":"lerobot","fps":10,"splits":{"train":0.5},"source":{"table":"t","episode":"e","timestamp":"t","features":{"a":["x"]}}}""")]
    public async Task A_request_that_cannot_be_exported_is_refused(string body)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);

        var response = await app.Client.PostAsync("/data/datasets", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), DataPlaneApp.Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
