using System.Globalization;
using System.Text.Json;
using Auraison.DataPlane.Lake.Catalog;
using DuckDB.NET.Data;
using static Auraison.DataPlane.Lake.Catalog.SqlText;

namespace Auraison.DataPlane.Datasets;

/// <summary>
/// Writes a LeRobot v3.0 dataset (the Hugging Face LeRobot library's layout) from a table of frames, with DuckDB, in
/// a connection whose views show the tenant's rows at the pinned snapshot. Each source row is a frame (not resampled);
/// a frame's timestamp is its seconds since its episode's first frame. Episodes are shuffled by the seed and split in
/// the requested order, so <c>splits</c> are episode ranges; one thread and a total order make the files byte-identical
/// for the same rows.
/// </summary>
public static class LeRobotWriter
{
    private const string CodebaseVersion = "v3.0";
    private const int ChunksSize = 1000;
    private const string DataPath = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet";
    private const string VideoPath = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4";
    private static readonly string[] IndexColumns = ["frame_index", "episode_index", "index", "task_index"];

    /// <summary>
    /// Writes the dataset under <paramref name="directory"/>; reports progress from 0 to 1. <paramref name="fetchVideo"/>
    /// copies a video chunk (an object key) to a local file: each episode's video is the first chunk its frames name.
    /// </summary>
    public static async Task<List<WrittenFile>> WriteAsync(DuckDBConnection duck, EpisodePlan plan, string directory, Func<double, Task> progress,
        Func<string, string, Task> fetchVideo, CancellationToken cancellationToken)
    {
        await duck.ExecuteAsync(null, FramesSql(plan), cancellationToken);
        await duck.ExecuteAsync(null, EpisodesSql(plan), cancellationToken);
        await progress(0.3);
        var features = plan.Features.Select(f => Identifier(f.Name)).ToList();
        await duck.ExecuteAsync(null, $"""
            CREATE TABLE lerobot_data AS
            SELECT {string.Join(", ", features.Select(f => "f." + f))},
                   CAST(epoch(f._t) - epoch(e._t0) AS FLOAT) AS "timestamp",
                   CAST(row_number() OVER (PARTITION BY e.episode_index ORDER BY f._t, f._order) - 1 AS BIGINT) AS frame_index,
                   e.episode_index,
                   CAST(row_number() OVER (ORDER BY e.episode_index, f._t, f._order) - 1 AS BIGINT) AS "index",
                   t.task_index
            FROM lerobot_frames f JOIN lerobot_episodes e USING (_episode) JOIN lerobot_tasks t ON t.task = e.task
            """, cancellationToken);
        List<WrittenFile> written = [];
        async Task CopyAsync(string relative, string select)
        {
            var path = Path.Combine(directory, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await duck.ExecuteAsync(null, $"COPY ({select}) TO {Literal(path)} (FORMAT parquet)", cancellationToken);
            written.Add(new WrittenFile(relative, await duck.ScalarAsync<long>(null, $"SELECT count(*) FROM read_parquet({Literal(path)})", cancellationToken)));
        }
        await CopyAsync("data/chunk-000/file-000.parquet", "SELECT * FROM lerobot_data ORDER BY \"index\"");
        await progress(0.5);
        written.AddRange(await CopyVideosAsync(duck, plan, directory, fetchVideo, cancellationToken));
        await CopyAsync("meta/episodes/chunk-000/file-000.parquet", $"""
            SELECT episode_index, [task] AS tasks, length, 0 AS "data/chunk_index", 0 AS "data/file_index",
                   CAST(sum(length) OVER (ORDER BY episode_index) - length AS BIGINT) AS dataset_from_index,
                   CAST(sum(length) OVER (ORDER BY episode_index) AS BIGINT) AS dataset_to_index,
                   {string.Concat(plan.Videos.Select(v => VideoColumns(v.Name)))}
                   0 AS "meta/episodes/chunk_index", 0 AS "meta/episodes/file_index"
            FROM lerobot_episodes ORDER BY episode_index
            """);
        await CopyAsync("meta/tasks.parquet", "SELECT task_index, task FROM lerobot_tasks ORDER BY task_index");
        await WriteJsonAsync(Path.Combine(directory, "meta", "stats.json"), await StatsAsync(duck, plan, cancellationToken), cancellationToken);
        written.Add(new WrittenFile("meta/stats.json", 1));
        await WriteJsonAsync(Path.Combine(directory, "meta", "info.json"), await InfoAsync(duck, plan, cancellationToken), cancellationToken);
        written.Add(new WrittenFile("meta/info.json", 1));
        await progress(0.7);
        return written;
    }

    /// <summary>An episode's place in a video stream: its own file (chunk and index from its episode index), from its start to its last frame.</summary>
    private static string VideoColumns(string name) =>
        $"episode_index // {ChunksSize} AS {Identifier($"videos/{name}/chunk_index")}, episode_index % {ChunksSize} AS {Identifier($"videos/{name}/file_index")}, " +
        $"0.0 AS {Identifier($"videos/{name}/from_timestamp")}, epoch(_t1) - epoch(_t0) AS {Identifier($"videos/{name}/to_timestamp")},\n";

    /// <summary>Each episode's first video chunk of each stream, copied to the stream's file of that episode.</summary>
    private static async Task<List<WrittenFile>> CopyVideosAsync(DuckDBConnection duck, EpisodePlan plan, string directory, Func<string, string, Task> fetchVideo,
        CancellationToken cancellationToken)
    {
        List<WrittenFile> written = [];
        foreach (var (i, (name, column, _)) in plan.Videos.Index())
            foreach (var (index, key) in await duck.QueryAsync(null, $"SELECT episode_index, _video_{i} FROM lerobot_episodes ORDER BY episode_index",
                         r => (Episode: r.GetInt64(0), Key: r.NullableString(1)), cancellationToken))
            {
                if (key is null) throw new DatasetException($"Episode {index} has no video chunk in column {column} for stream {name}.");
                var relative = $"videos/{name}/chunk-{index / ChunksSize:000}/file-{index % ChunksSize:000}.mp4";
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(directory, relative))!);
                await fetchVideo(key, Path.Combine(directory, relative));
                written.Add(new WrittenFile(relative, 1));
            }
        return written;
    }

    /// <summary>The source rows as frames: episode key, time, task, and each feature as a float32 list of its columns.</summary>
    private static string FramesSql(EpisodePlan plan) => $"""
        CREATE TABLE lerobot_frames AS
        SELECT CAST({Identifier(plan.Episode)} AS VARCHAR) AS _episode, CAST({Identifier(plan.Timestamp)} AS TIMESTAMPTZ) AS _t,
               {(plan.Task is null ? "''" : $"coalesce(CAST({Identifier(plan.Task)} AS VARCHAR), '')")} AS _task,
               {string.Join(", ", plan.Features.Select(f =>
                   $"CAST([{string.Join(", ", f.Columns.Select(c => $"CAST({Identifier(c)} AS FLOAT)"))}] AS FLOAT[{f.Columns.Count.ToString(CultureInfo.InvariantCulture)}]) AS {Identifier(f.Name)}"))},
               {string.Concat(plan.Videos.Select((v, i) => $"CAST({Identifier(v.Column)} AS VARCHAR) AS _video_{i}, "))}
               row_number() OVER () AS _order
        FROM {Qualified(plan.Table.Schema, plan.Table.Name)}
        WHERE {Identifier(plan.Episode)} IS NOT NULL AND {Identifier(plan.Timestamp)} IS NOT NULL
        """;

    /// <summary>Episodes in the seed's order (train first, then each further split), their first frame time, length and task; the task index.</summary>
    private static string EpisodesSql(EpisodePlan plan) => $"""
        CREATE TABLE lerobot_episodes AS
        SELECT _episode, _t0, _t1, length, task, {string.Concat(plan.Videos.Select((_, i) => $"_video_{i}, "))}
               CAST(row_number() OVER (ORDER BY hash({Literal(plan.Seed.ToString(CultureInfo.InvariantCulture))} || ':' || _episode), _episode) - 1 AS BIGINT) AS episode_index
        FROM (SELECT _episode, min(_t) AS _t0, max(_t) AS _t1, CAST(count(*) AS BIGINT) AS length,
                     {string.Concat(plan.Videos.Select((_, i) => $"arg_min(_video_{i}, _t) FILTER (WHERE _video_{i} IS NOT NULL) AS _video_{i}, "))}
                     arg_min(_task, _t) AS task
              FROM lerobot_frames GROUP BY _episode);
        CREATE TABLE lerobot_tasks AS
        SELECT task, CAST(row_number() OVER (ORDER BY task) - 1 AS BIGINT) AS task_index FROM (SELECT DISTINCT task FROM lerobot_episodes);
        """;

    private static async Task<Dictionary<string, object?>> InfoAsync(DuckDBConnection duck, EpisodePlan plan, CancellationToken cancellationToken)
    {
        var episodes = await duck.ScalarAsync<long>(null, "SELECT count(*) FROM lerobot_episodes", cancellationToken);
        Dictionary<string, object?> features = [];
        foreach (var (name, columns) in plan.Features)
            features[name] = new Dictionary<string, object?> { ["dtype"] = "float32", ["shape"] = new[] { columns.Count }, ["names"] = columns };
        foreach (var (name, _, shape) in plan.Videos)
            features[name] = new Dictionary<string, object?>
            {
                ["dtype"] = "video", ["shape"] = shape, ["names"] = new[] { "height", "width", "channels" },
                ["info"] = new Dictionary<string, object?> { ["video.fps"] = plan.Fps, ["video.height"] = shape[0], ["video.width"] = shape[1], ["video.channels"] = shape[2] },
            };
        features["timestamp"] = Scalar("float32");
        foreach (var column in IndexColumns) features[column] = Scalar("int64");
        return new Dictionary<string, object?>
        {
            ["codebase_version"] = CodebaseVersion,
            ["robot_type"] = null,
            ["total_episodes"] = episodes,
            ["total_frames"] = await duck.ScalarAsync<long>(null, "SELECT count(*) FROM lerobot_data", cancellationToken),
            ["total_tasks"] = await duck.ScalarAsync<long>(null, "SELECT count(*) FROM lerobot_tasks", cancellationToken),
            ["chunks_size"] = ChunksSize,
            ["fps"] = plan.Fps,
            ["splits"] = Splits(plan, episodes),
            ["data_path"] = DataPath,
            ["video_path"] = plan.Videos.Count > 0 ? VideoPath : null,
            ["features"] = features,
        };
    }

    private static Dictionary<string, object?> Scalar(string dtype) => new() { ["dtype"] = dtype, ["shape"] = new[] { 1 }, ["names"] = null };

    /// <summary>Each split's episode range ("from:to"), in the requested order; rounding leaves the remainder to the last split.</summary>
    private static Dictionary<string, string> Splits(EpisodePlan plan, long episodes)
    {
        Dictionary<string, string> splits = [];
        long from = 0;
        foreach (var (i, (name, fraction)) in plan.Splits.Index())
        {
            var to = i == plan.Splits.Count - 1 ? episodes : Math.Min(episodes, from + (long)Math.Round(episodes * fraction));
            splits[name] = $"{from}:{to}";
            from = to;
        }
        return splits;
    }

    /// <summary>Per feature (per dimension of a vector one): min, max, mean, std (population) and count over all frames.</summary>
    private static async Task<Dictionary<string, object?>> StatsAsync(DuckDBConnection duck, EpisodePlan plan, CancellationToken cancellationToken)
    {
        List<(string Feature, int Dimensions, Func<int, string> Value)> columns =
        [
            .. plan.Features.Select(f => (f.Name, f.Columns.Count, (Func<int, string>)(d => $"{Identifier(f.Name)}[{(d + 1).ToString(CultureInfo.InvariantCulture)}]"))),
            ("timestamp", 1, _ => "\"timestamp\""),
            .. IndexColumns.Select(c => (c, 1, (Func<int, string>)(_ => Identifier(c)))),
        ];
        string[] aggregates = ["min", "max", "avg", "stddev_pop"];
        var select = string.Join(", ", columns.SelectMany(c => Enumerable.Range(0, c.Dimensions)
            .SelectMany(d => aggregates.Select(a => $"CAST({a}({c.Value(d)}) AS DOUBLE)"))));
        await using var command = duck.CreateCommand();
        command.CommandText = $"SELECT count(*), {select} FROM lerobot_data";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var count = reader.GetInt64(0);
        var ordinal = 1;
        Dictionary<string, object?> stats = [];
        foreach (var (feature, dimensions, _) in columns)
        {
            var values = new double?[aggregates.Length, dimensions];
            for (var d = 0; d < dimensions; d++)
                for (var a = 0; a < aggregates.Length; a++, ordinal++)
                    values[a, d] = reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);
            stats[feature] = new Dictionary<string, object?>
            {
                ["min"] = Row(values, 0), ["max"] = Row(values, 1), ["mean"] = Row(values, 2), ["std"] = Row(values, 3), ["count"] = new[] { count },
            };
        }
        return stats;
    }

    private static double?[] Row(double?[,] values, int aggregate) =>
        Enumerable.Range(0, values.GetLength(1)).Select(d => values[aggregate, d]).ToArray();

    private static async Task WriteJsonAsync(string path, Dictionary<string, object?> value, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, value, new JsonSerializerOptions { WriteIndented = true }, cancellationToken);
    }
}
