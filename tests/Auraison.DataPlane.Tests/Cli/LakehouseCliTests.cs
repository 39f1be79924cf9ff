using System.Text;
using System.Text.Json;
using Auraison.DataPlane.Cli;

namespace Auraison.DataPlane.Tests.Cli;

/// <summary>The <c>lakehouse</c> command line against a running host, as a shell (or an agent's Bash tool) runs it.</summary>
public class LakehouseCliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Run(int ExitCode, string Output, string Error);

    /// <summary>Runs a command line against the app (embedded: no key; production: a key of tenant acme).</summary>
    private static async Task<Run> LakehouseAsync(DataPlaneApp app, LakeMode mode, params string[] args)
    {
        List<string> line = ["--url", app.Client.BaseAddress!.ToString(), "--tenant", "acme"];
        if (mode == LakeMode.Production) line.AddRange(["--api-key", await app.CreateKeyAsync("acme", "query", "ingest", "retrieve", "snapshots")]);
        return await RunAsync(app, [.. args, .. line]);
    }

    private static async Task<Run> RunAsync(DataPlaneApp? app, string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await LakehouseCommand.RunAsync(args, output, error, app?.Factory.Server.CreateHandler(), Ct);
        return new Run(code, output.ToString(), error.ToString());
    }

    private static void AssertOk(Run run) => Assert.True(run.ExitCode == ExitCodes.Ok, $"exit {run.ExitCode}: {run.Error}{run.Output}");

    private static async Task<DataPlaneApp> StartWithJobAsync(LakeMode mode)
    {
        var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "job-1", status = "failed" }, new { job_id = "job-2", status = "ok" } });
        return app;
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Query_prints_an_aligned_table(LakeMode mode)
    {
        await using var app = await StartWithJobAsync(mode);

        var run = await LakehouseAsync(app, mode, "query", "SELECT job_id, status FROM job_outcomes ORDER BY job_id");

        AssertOk(run);
        Assert.Equal("job_id  status\n------  ------\njob-1   failed\njob-2   ok\n(2 rows)\n", run.Output.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("csv", "job_id,status\njob-1,failed\njob-2,ok\n")]
    [InlineData("json", "\"rows\":[[\"job-1\",\"failed\"],[\"job-2\",\"ok\"]]")]
    public async Task Query_prints_csv_or_the_services_json(string format, string expected)
    {
        await using var app = await StartWithJobAsync(LakeMode.Embedded);

        var run = await LakehouseAsync(app, LakeMode.Embedded, "query", "SELECT job_id, status FROM job_outcomes ORDER BY job_id", "--format", format);

        AssertOk(run);
        Assert.Contains(expected, run.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_query_exits_1_with_the_problem_details()
    {
        await using var app = await StartWithJobAsync(LakeMode.Embedded);

        var run = await LakehouseAsync(app, LakeMode.Embedded, "query", "DELETE FROM job_outcomes");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.StartsWith("error: 403 ", run.Error, StringComparison.Ordinal);
        Assert.Contains("read-only", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_service_exits_3()
    {
        var run = await RunAsync(null, ["tables", "--url", "http://127.0.0.1:9", "--tenant", "acme"]);

        Assert.Equal(ExitCodes.Unavailable, run.ExitCode);
        Assert.Contains("Cannot reach http://127.0.0.1:9/", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_command_without_a_tenant_exits_2_saying_how_to_give_one()
    {
        await using var app = await StartWithJobAsync(LakeMode.Embedded);

        var run = await RunAsync(app, ["tables", "--url", app.Client.BaseAddress!.ToString()]);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--tenant or set DATAPLANE_TENANT", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_every_command()
    {
        var run = await RunAsync(null, ["--help"]);

        AssertOk(run);
        foreach (var command in new[] { "health", "tables", "describe", "query", "retrieve", "snapshots", "history", "lineage", "ingest", "policy", "keys", "maintenance" })
            Assert.Contains($"  {command} ", run.Output, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Tables_describe_history_and_lineage_show_the_tenants_lake(LakeMode mode)
    {
        await using var app = await StartWithJobAsync(mode);

        var tables = await LakehouseAsync(app, mode, "tables");
        var describe = await LakehouseAsync(app, mode, "describe", "job_outcomes");
        var history = await LakehouseAsync(app, mode, "history", "--format", "csv");
        var lineage = await LakehouseAsync(app, mode, "lineage", "job-1");

        Assert.All([tables, describe, history, lineage], AssertOk);
        Assert.Matches(@"\nmain\.job_outcomes +2 ", tables.Output);
        Assert.Contains("main.job_outcomes: 2 rows", describe.Output, StringComparison.Ordinal);
        Assert.Contains("inlined_insert:", history.Output, StringComparison.Ordinal);
        Assert.Contains("main.job_outcomes", lineage.Output, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_million_row_file_is_ingested_with_progress_and_queried_back_exactly_once_even_when_sent_twice(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var file = Path.Combine(app.Lake.WorkDirectory, "readings.ndjson");
        await using (var writer = new StreamWriter(file, false, new UTF8Encoding(false)))
            for (var i = 0; i < 1_000_000; i++) await writer.WriteAsync($"{{\"sensor\":\"s{i % 100}\",\"value\":{i}}}\n");

        var first = await LakehouseAsync(app, mode, "ingest", file, "--table", "readings");
        var again = await LakehouseAsync(app, mode, "ingest", file, "--table", "readings");
        var count = await LakehouseAsync(app, mode, "query", "SELECT count(*) AS n, sum(value) AS total FROM readings", "--format", "csv");

        AssertOk(first);
        AssertOk(again);
        Assert.Contains("readings.ndjson: 100% (", first.Error, StringComparison.Ordinal);
        Assert.Contains("ingested 1,000,000 rows from 1 file(s)", first.Output, StringComparison.Ordinal);
        Assert.Equal("n,total\n1000000,499999500000\n", count.Output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_json_array_file_is_ingested_as_its_records()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        var file = Path.Combine(app.Lake.WorkDirectory, "outcomes.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new[] { new { job_id = "a" }, new { job_id = "b" } }), Ct);

        var run = await LakehouseAsync(app, LakeMode.Embedded, "ingest", file, "--table", "job_outcomes");

        AssertOk(run);
        Assert.Equal("2", await app.ScalarAsync("acme", "SELECT count(*) FROM job_outcomes"));
    }

    /// <summary>Runs a command line with the management key (production mode).</summary>
    private static Task<Run> AdminAsync(DataPlaneApp app, params string[] args) =>
        RunAsync(app, [.. args, "--url", app.Client.BaseAddress!.ToString(), "--tenant", "acme", "--api-key", TestLake.BootstrapKey]);

    [Fact]
    public async Task Policy_set_then_get_shows_the_tenants_policy()
    {
        await using var app = await StartWithJobAsync(LakeMode.Production);

        var set = await AdminAsync(app, "policy", "set", "--retention-days", "30", "--allowed-tables", "job_outcomes", "event_log.*");
        var get = await AdminAsync(app, "policy", "get", "--format", "json");

        AssertOk(set);
        AssertOk(get);
        var policy = JsonDocument.Parse(get.Output).RootElement.GetProperty("policy");
        Assert.Equal(30, policy.GetProperty("retention_days").GetInt32());
        Assert.Equal("""["job_outcomes","event_log.*"]""", policy.GetProperty("allowed_tables").GetRawText());
    }

    [Fact]
    public async Task A_key_created_by_the_cli_works_until_the_cli_revokes_it()
    {
        await using var app = await StartWithJobAsync(LakeMode.Production);

        var created = JsonDocument.Parse((await AdminAsync(app, "keys", "create", "--scope", "query", "--name", "agent", "--format", "json")).Output).RootElement;
        var secret = created.GetProperty("key").GetString()!;
        var before = await RunAsync(app, ["tables", "--url", app.Client.BaseAddress!.ToString(), "--tenant", "acme", "--api-key", secret]);
        var listed = await AdminAsync(app, "keys", "list");
        var revoked = await AdminAsync(app, "keys", "revoke", created.GetProperty("info").GetProperty("key_id").GetString()!);
        var after = await RunAsync(app, ["tables", "--url", app.Client.BaseAddress!.ToString(), "--tenant", "acme", "--api-key", secret]);

        AssertOk(before);
        Assert.Contains(" agent", listed.Output, StringComparison.Ordinal);
        AssertOk(revoked);
        Assert.Equal(ExitCodes.Refused, after.ExitCode);
        Assert.StartsWith("error: 401 ", after.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maintenance_run_reports_what_a_step_did_and_list_shows_the_run()
    {
        await using var app = await StartWithJobAsync(LakeMode.Production);

        var run = await AdminAsync(app, "maintenance", "run", "flush");
        var listed = await AdminAsync(app, "maintenance", "list");

        AssertOk(run);
        Assert.StartsWith("flush: ok, 0 snapshots, 1 files in ", run.Output, StringComparison.Ordinal);
        Assert.Contains("flush", listed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenant_key_is_refused_by_admin_commands_with_exit_1()
    {
        await using var app = await StartWithJobAsync(LakeMode.Production);

        var run = await LakehouseAsync(app, LakeMode.Production, "maintenance", "run", "flush");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.StartsWith("error: 403 ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sql_attach_prints_lets_a_stock_duckdb_read_the_lake()
    {
        var duckdb = ReferenceDuckDb.Require();
        await using var app = await StartWithJobAsync(LakeMode.Embedded);

        var attach = await LakehouseAsync(app, LakeMode.Embedded, "attach");
        await app.StopAsync();
        var rows = await duckdb.JsonRowsAsync(string.Join("\n", attach.Output.Split('\n').Where(line => line.StartsWith("ATTACH", StringComparison.Ordinal))),
            "SELECT job_id FROM lake.main.job_outcomes ORDER BY job_id", app.Lake.WorkDirectory, Ct);

        AssertOk(attach);
        Assert.Equal(["""{"job_id":"job-1"}""", """{"job_id":"job-2"}"""], rows);
    }

    [Fact]
    public async Task Attach_in_production_names_the_catalog_and_bucket_but_no_secret()
    {
        await using var app = await StartWithJobAsync(LakeMode.Production);

        var attach = await AdminAsync(app, "attach");

        AssertOk(attach);
        Assert.Contains("ATTACH 'ducklake:postgres:dbname=", attach.Output, StringComparison.Ordinal);
        Assert.Contains("PROVIDER credential_chain", attach.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("password=", attach.Output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(app.Lake.HostConfiguration["DataPlane:S3:SecretKey"]!, attach.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Lake.HostConfiguration["DataPlane:S3:AccessKey"]!, attach.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("runs.csv")]
    [InlineData("runs.csv.gz")]
    public async Task A_csv_file_is_ingested_with_typed_values_and_quoted_fields(string name)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        var file = Path.Combine(app.Lake.WorkDirectory, name);
        const string Csv = "job_id,attempts,score,ok,note\r\nj1,3,0.5,true,\"gripper, left\"\r\nj2,,1e3,false,\"said \"\"stop\"\"\nthen left\"\r\n";
        await using (var stream = File.Create(file))
        await using (Stream target = name.EndsWith(".gz", StringComparison.Ordinal) ? new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionLevel.Fastest) : stream)
            await target.WriteAsync(Encoding.UTF8.GetBytes(Csv), Ct);

        var run = await LakehouseAsync(app, LakeMode.Embedded, "ingest", file, "--table", "runs");
        var rows = await app.QueryAsync("acme", "SELECT job_id, attempts, score, ok, note FROM runs ORDER BY job_id");

        AssertOk(run);
        Assert.Equal("""[["j1",3,0.5,true,"gripper, left"],["j2",null,1000,false,"said \"stop\"\nthen left"]]""", rows.GetProperty("rows").GetRawText());
        Assert.Equal(["VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "VARCHAR"], rows.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("type").GetString()));
    }
}
