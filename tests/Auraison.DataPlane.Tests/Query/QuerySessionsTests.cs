using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Writing;
using Auraison.DataPlane.Query;
using Auraison.DataPlane.Schema;
using Auraison.DataPlane.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace Auraison.DataPlane.Tests.Query;

public class QuerySessionsTests
{
    private static readonly IReadOnlySet<TableName> JobOutcomes = new HashSet<TableName> { new("main", "job_outcomes") };

    private static Task<HeldSession> HoldLatestAsync(DataPlaneApp app, IReadOnlySet<TableName>? only = null) =>
        app.Factory.Services.GetRequiredService<QuerySessions>().GetAsync("acme", SnapshotSelector.Latest, _ => true, "all", DataPlaneApp.Ct,
            only ?? JobOutcomes);

    /// <summary>The latest session, not held: a newer one replacing it closes it.</summary>
    private static async Task<QuerySession> LatestAsync(DataPlaneApp app, IReadOnlySet<TableName>? only = null)
    {
        using var held = await HoldLatestAsync(app, only);
        return held.Session;
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_commit_to_another_table_moves_the_session_to_the_new_snapshot_without_a_rebuild(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        var before = await LatestAsync(app);

        var other = (await app.IngestOkAsync("acme", "event_log.agent_traces", new object[] { new { text = "elsewhere" } })).GetProperty("lake_snapshot_id").GetInt64();
        var after = await LatestAsync(app);

        Assert.Same(before, after);
        Assert.Equal(other, after.SnapshotId);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Rows_inlined_into_a_table_the_session_reads_move_it_forward_in_place(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        var before = await LatestAsync(app);

        var inlined = (await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b" } })).GetProperty("lake_snapshot_id").GetInt64();
        var after = await LatestAsync(app);

        Assert.Same(before, after);
        Assert.Equal(inlined, after.SnapshotId);
        var reply = await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes ORDER BY job_id");
        Assert.Equal("""[["a"],["b"]]""", reply.GetProperty("rows").GetRawText());
        Assert.Equal(inlined, reply.GetProperty("lake_snapshot_id").GetInt64());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_session_moved_in_place_shows_no_rows_another_tenant_inlined(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        await LatestAsync(app);

        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "theirs" } });
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b" } });

        Assert.Equal("""[["a"],["b"]]""",
            (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes ORDER BY job_id")).GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Time_travel_to_the_snapshot_a_session_moved_on_from_reads_that_snapshot(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var first = (await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } })).GetProperty("lake_snapshot_id").GetInt64();
        await app.QueryAsync("acme", "SELECT count(*) FROM job_outcomes");
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b" } });
        await app.QueryAsync("acme", "SELECT count(*) FROM job_outcomes");

        var reply = await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes", $"&lake_snapshot_id={first}");

        Assert.Equal("""[["a"]]""", reply.GetProperty("rows").GetRawText());
        Assert.Equal(first, reply.GetProperty("lake_snapshot_id").GetInt64());
    }

    [Fact]
    public async Task A_query_asking_for_a_snapshot_its_session_has_moved_past_does_not_run_there()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        var first = (await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } })).GetProperty("lake_snapshot_id").GetInt64();
        var session = await LatestAsync(app);
        var sessions = app.Factory.Services.GetRequiredService<QuerySessions>();
        var query = await sessions.ParseAsync("SELECT job_id FROM job_outcomes", DataPlaneApp.Ct);

        var later = (await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b" } })).GetProperty("lake_snapshot_id").GetInt64();
        Assert.True(await session.TryAdvanceViewsAsync(later, DataPlaneApp.Ct));

        await Assert.ThrowsAsync<SessionMovedException>(() =>
            app.Factory.Services.GetRequiredService<QueryRunner>().RunAsync(session, query, null, DataPlaneApp.Ct, first));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_file_written_to_a_table_the_session_reads_moves_it_forward_in_place(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        var before = await LatestAsync(app);

        var written = (await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b" } })).GetProperty("lake_snapshot_id").GetInt64();
        var after = await LatestAsync(app);

        Assert.Same(before, after);
        Assert.Equal(written, after.SnapshotId);
        Assert.Equal("""[["a"],["b"]]""",
            (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes ORDER BY job_id")).GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Files_added_to_a_table_read_through_its_file_list_variable_are_read_by_the_sessions_kept_connections(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        const int files = Lake.Reading.FileListVariables.VariableFrom + 2;
        for (var i = 0; i < files; i++) await app.IngestOkAsync("acme", "many_files", new object[] { new { n = i } });
        await app.IngestOkAsync("globex", "many_files", new object[] { new { n = 1000 } });
        Assert.Equal($"{files}", await app.ScalarAsync("acme", "SELECT count(*) FROM many_files"));
        var before = await LatestAsync(app, ManyFiles);

        await app.IngestOkAsync("acme", "many_files", new object[] { new { n = files } });
        await app.IngestOkAsync("globex", "many_files", new object[] { new { n = 1001 } });

        Assert.Equal($"[[{files + 1},{files}]]", (await app.QueryAsync("acme", "SELECT count(*), CAST(max(n) AS BIGINT) FROM many_files")).GetProperty("rows").GetRawText());
        Assert.Same(before, await LatestAsync(app, ManyFiles));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_merge_of_the_files_a_session_reads_builds_a_new_one(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b" } });
        var before = await LatestAsync(app);

        var merged = await Lake.Maintenance.FileCompaction.MergeAdjacentFilesAsync(await app.LakehouseAsync(), 1 << 30, dryRun: false, DataPlaneApp.Ct);
        var after = await LatestAsync(app);

        Assert.NotEmpty(merged.Files);
        Assert.NotSame(before, after);
        Assert.Equal("""[["a"],["b"]]""",
            (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes ORDER BY job_id")).GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_file_added_outside_the_tenants_partition_directories_builds_a_new_session(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        // A table another writer made without the tenant partitioning: its files hold rows of any tenant.
        var lake = await app.LakehouseAsync();
        var table = (await lake.CommitAsync((commit, token) => commit.EnsureTableAsync("main", "shared_log",
            [new ColumnDefinition(Schema.Lineage.TenantId, LakeType.ParseDuckDb("VARCHAR")), new ColumnDefinition("job_id", LakeType.ParseDuckDb("VARCHAR"))],
            [], token), DataPlaneApp.Ct)).Value;
        await using var work = lake.OpenWorkConnection();
        await lake.AppendAsync(work, table, "SELECT 'acme' AS _dp_tenant_id, 'a' AS job_id", DataPlaneApp.Ct);
        var before = await LatestAsync(app, SharedLog);

        await lake.AppendAsync(work, table, "SELECT 'acme' AS _dp_tenant_id, 'b' AS job_id UNION ALL SELECT 'globex', 'theirs'", DataPlaneApp.Ct);
        var after = await LatestAsync(app, SharedLog);

        Assert.NotSame(before, after);
        Assert.Equal("""[["a"],["b"]]""", (await app.QueryAsync("acme", "SELECT job_id FROM shared_log ORDER BY job_id")).GetProperty("rows").GetRawText());
    }

    private static readonly IReadOnlySet<TableName> ManyFiles = new HashSet<TableName> { new("main", "many_files") };
    private static readonly IReadOnlySet<TableName> SharedLog = new HashSet<TableName> { new("main", "shared_log") };

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_session_a_newer_one_replaced_for_the_latest_snapshot_closes(LakeMode mode)
    {
        // A new column cannot be followed in place: the next query builds a new session.
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        var before = await LatestAsync(app);

        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b", new_field = 1 } });
        var after = await LatestAsync(app);

        Assert.True(before.IsClosed);
        Assert.False(after.IsClosed);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_replaced_session_a_request_still_holds_answers_it_and_closes_once_released(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        var held = await HoldLatestAsync(app);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b", new_field = 1 } });
        await LatestAsync(app);

        var rows = await QueryRunner.RunTrustedAsync(held.Session, "SELECT count(*) AS n FROM main.job_outcomes", DataPlaneApp.Ct);
        held.Dispose();

        Assert.Equal(1L, rows.Single()["n"]);
        Assert.True(held.Session.IsClosed);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_session_keeps_no_copy_in_memory_of_the_files_it_read(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("acme", "job_outcomes", Enumerable.Range(0, 1000).Select(i => new { job_id = $"job-{i}" }).ToArray<object>());
        using var held = await HoldLatestAsync(app);
        await QueryRunner.RunTrustedAsync(held.Session, "SELECT count(DISTINCT job_id) AS n FROM main.job_outcomes", DataPlaneApp.Ct);

        var cached = await QueryRunner.RunTrustedAsync(held.Session,
            "SELECT CAST(coalesce(sum(memory_usage_bytes), 0) AS BIGINT) AS bytes FROM duckdb_memory() WHERE tag = 'EXTERNAL_FILE_CACHE'", DataPlaneApp.Ct);

        Assert.Equal(0L, cached.Single()["bytes"]);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_session_reads_its_tenants_files_through_their_partition_directory_and_no_other_tenants(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "own" } });
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "other" } });
        using var held = await HoldLatestAsync(app);

        var own = await QueryRunner.RunTrustedAsync(held.Session, $"SELECT job_id FROM read_parquet('{await app.LocalFileOfAsync("job_outcomes", "acme")}')",
            DataPlaneApp.Ct);
        var listed = await QueryRunner.RunTrustedAsync(held.Session, "SELECT current_setting('allowed_paths')::VARCHAR AS paths", DataPlaneApp.Ct);
        var otherFile = await app.LocalFileOfAsync("job_outcomes", "globex");
        var other = await Assert.ThrowsAnyAsync<Exception>(() => QueryRunner.RunTrustedAsync(held.Session,
            $"SELECT job_id FROM read_parquet('{otherFile}')", DataPlaneApp.Ct));

        Assert.Equal("own", own.Single()["job_id"]);
        Assert.DoesNotContain("tenant_id=", (string)listed.Single()["paths"]!, StringComparison.Ordinal);
        Assert.Contains("Permission Error", (other.InnerException ?? other).Message, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_column_added_to_a_table_the_session_reads_builds_a_new_one(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        var before = await LatestAsync(app);

        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "b", new_field = 1 } });
        var after = await LatestAsync(app);

        Assert.NotSame(before, after);
        Assert.Equal("""[["a",null],["b",1]]""",
            (await app.QueryAsync("acme", "SELECT job_id, new_field FROM job_outcomes ORDER BY job_id")).GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_new_table_is_seen_by_a_session_of_all_tables(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var before = await app.QueryAsync("acme", "SELECT count(*) FROM information_schema.tables WHERE table_name = 'fresh'");

        await app.IngestOkAsync("acme", "fresh", new object[] { new { n = 1 } });
        var after = await app.QueryAsync("acme", "SELECT count(*) FROM information_schema.tables WHERE table_name = 'fresh'");

        Assert.Equal("[[0]]", before.GetProperty("rows").GetRawText());
        Assert.Equal("[[1]]", after.GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_table_of_many_files_is_read_whole_through_its_file_list_variable(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        const int files = Lake.Reading.FileListVariables.VariableFrom + 2;
        for (var i = 0; i < files; i++) await app.IngestOkAsync("acme", "many_files", new object[] { new { n = i } });
        await app.IngestOkAsync("globex", "many_files", new object[] { new { n = 1000 } });

        var reply = await app.QueryAsync("acme", "SELECT count(*), CAST(max(n) AS BIGINT) FROM many_files");

        Assert.Equal($"[[{files},{files - 1}]]", reply.GetProperty("rows").GetRawText());
    }

    [Fact]
    public async Task A_session_fetches_the_files_a_pruned_query_reads_and_the_rest_only_when_a_query_reads_them()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production, DataPlaneApp.FilesOnly);
        const int files = Lake.Reading.FileListVariables.VariableFrom + 6;
        for (var i = 0; i < files; i++) await app.IngestOkAsync("acme", "many_files", new object[] { new { n = i } });
        await app.StopAsync();
        var cache = Path.Combine(app.Lake.WorkDirectory, "cache");
        foreach (var copy in Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories)) File.Delete(copy);
        app.Restart();

        Assert.Equal("1", await app.ScalarAsync("acme", "SELECT count(*) FROM many_files WHERE n = 40"));
        var fetchedForPrunedQuery = Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Count();
        Assert.Equal(files.ToString(System.Globalization.CultureInfo.InvariantCulture), await app.ScalarAsync("acme", "SELECT count(*) FROM many_files"));

        Assert.InRange(fetchedForPrunedQuery, 1, 2); // the file with n = 40, and the list's first file, which every query binds
        Assert.Equal(files, Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Count());
    }

    private static readonly IReadOnlySet<TableName> First = new HashSet<TableName> { new("main", "first") };

    /// <summary>
    /// A cache of 1 MiB keeps one of these tables' files (about 0.7 MB of incompressible text each), not both: reading
    /// the second evicts the first's copy, while the session that read the first moves forward past the commit to
    /// the second and is kept.
    /// </summary>
    private static async Task<DataPlaneApp> StartWithSmallCacheAsync(Func<DataPlaneApp, Task<string>> readFirst)
    {
        var app = await DataPlaneApp.StartAsync(LakeMode.Production,
            new Dictionary<string, string?>(DataPlaneApp.FilesOnly) { ["DataPlane:S3:CacheMegabytes"] = "1" });
        var rows = Enumerable.Range(0, 20_000).Select(i => new { n = i, noise = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N") }).ToArray();
        await app.IngestOkAsync("acme", "second", new object[] { new { n = -1, noise = "" } });
        await app.IngestOkAsync("acme", "first", rows);
        Assert.Equal("20000", await readFirst(app));
        await app.IngestOkAsync("acme", "second", rows);
        Assert.Equal("20001", await app.ScalarAsync("acme", "SELECT count(*) FROM second"));
        return app;
    }

    private static Task<string> QueryFirstAsync(DataPlaneApp app) => app.ScalarAsync("acme", "SELECT count(*) FROM first");

    private static async Task<string> ReadFirstAsync(DataPlaneApp app) =>
        Convert.ToString((await QueryRunner.RunTrustedAsync(await LatestAsync(app, First), "SELECT count(*) AS n FROM main.first", DataPlaneApp.Ct))
            .Single()["n"], System.Globalization.CultureInfo.InvariantCulture)!;

    [Fact]
    public async Task A_query_whose_session_lost_its_local_copies_to_the_cache_still_answers()
    {
        await using var app = await StartWithSmallCacheAsync(QueryFirstAsync);

        var again = await QueryFirstAsync(app);

        Assert.Equal("20000", again);
    }

    [Fact]
    public async Task The_services_own_reads_copy_back_what_the_cache_evicted_and_keep_their_session()
    {
        await using var app = await StartWithSmallCacheAsync(ReadFirstAsync);
        var session = await LatestAsync(app, First);

        var again = await ReadFirstAsync(app);

        Assert.Equal("20000", again);
        Assert.Same(session, await LatestAsync(app, First));
    }

    [Fact]
    public async Task A_latest_snapshot_remembered_here_but_expired_by_another_writer_is_asked_for_again()
    {
        // The service remembers the latest snapshot for a minute; another writer commits and expires it meanwhile.
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production, new Dictionary<string, string?> { ["DataPlane:Query:LatestSnapshotMilliseconds"] = "60000" });
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a" } });
        await app.QueryAsync("acme", "SELECT count(*) FROM job_outcomes");
        await using (var other = await Lake.Lakehouse.OpenAsync(app.Lake.Settings with { WorkDirectory = Path.Combine(app.Lake.WorkDirectory, "other") }, DataPlaneApp.Ct))
        {
            await other.CommitAsync((commit, token) => commit.DeclareAsync(TableDeclaration.Parse("elsewhere", true, ("n", "BIGINT")), token), DataPlaneApp.Ct);
            await Lake.Maintenance.SnapshotExpiry.ExpireSnapshotsAsync(other, DateTimeOffset.UtcNow.AddHours(1), new HashSet<long>(), dryRun: false, DataPlaneApp.Ct);
        }

        var reply = await app.QueryAsync("acme", "SELECT count(*) FROM job_outcomes, main.elsewhere");

        Assert.Equal("[[0]]", reply.GetProperty("rows").GetRawText());
    }
}
