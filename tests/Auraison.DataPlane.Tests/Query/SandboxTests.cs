using System.Net;

namespace Auraison.DataPlane.Tests.Query;

/// <summary>Adversarial SQL: whatever a tenant sends, it reads its own rows or nothing, writes nothing and reaches no file.</summary>
public class SandboxTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Attacks => new()
    {
        "DROP TABLE job_outcomes",
        "DELETE FROM job_outcomes",
        "INSERT INTO job_outcomes (job_id) VALUES ('x')",
        "UPDATE job_outcomes SET job_id = 'x'",
        "CREATE TABLE stolen AS SELECT * FROM job_outcomes",
        "COPY job_outcomes TO '{work}/out.csv'",
        "COPY (SELECT 1) TO '{work}/out.csv'",
        "ATTACH '{work}/catalog.ducklake' AS lake",
        "ATTACH ':memory:' AS other",
        "SET enable_external_access = true",
        "SET allowed_paths = ['/']",
        "RESET lock_configuration",
        "PRAGMA database_list",
        "INSTALL httpfs",
        "LOAD postgres_scanner",
        "CALL pragma_version()",
        "SELECT 1; DROP TABLE job_outcomes",
        "SELECT * FROM read_parquet('{other}')",
        "SELECT * FROM '{other}'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_blob('{other}')",
        "SELECT * FROM glob('{work}/*')",
        "SELECT * FROM parquet_metadata('{other}')",
        "SELECT * FROM duckdb_views()",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM query('SELECT 1')",
        "SELECT * FROM query_table('job_outcomes')",
        "SELECT current_setting('allowed_paths')",
        "SELECT getenv('HOME')",
        "SELECT view_definition FROM information_schema.views",
        "SELECT * FROM pg_catalog.pg_views",
        "SELECT * FROM memory.main.job_outcomes",
        "SELECT * FROM system.main.duckdb_tables()",
        "WITH x AS (SELECT * FROM read_parquet('{other}')) SELECT * FROM x",
        "SELECT (SELECT count(*) FROM read_parquet('{other}'))",
        "EXPLAIN ANALYZE SELECT * FROM read_parquet('{other}')",
        "DESCRIBE SELECT * FROM read_parquet('{other}')",
        "SUMMARIZE SELECT * FROM '{other}'",
        "EXPORT DATABASE '{work}/export'",
        "CHECKPOINT",
        "DETACH memory",
        "USE system",
        "SELECT * FROM lake_inlined_rows_1()",
        "CREATE OR REPLACE MACRO lake_inlined_rows_1() AS TABLE SELECT 'forged' AS job_id",
    };

    [Theory, MemberData(nameof(Attacks))]
    public async Task Attack_sql_is_refused_and_leaks_nothing(string attack)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "acme-secret" } });
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "globex-secret" } });
        var sql = attack.Replace("{other}", await app.LocalFileOfAsync("job_outcomes", "globex"), StringComparison.Ordinal)
            .Replace("{work}", app.Lake.WorkDirectory, StringComparison.Ordinal);

        var response = await app.QueryRawAsync("acme", sql);

        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest, $"{attack} → {(int)response.StatusCode}");
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("globex-secret", body, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Lake.WorkDirectory, body, StringComparison.Ordinal);
        Assert.Equal("""[["acme-secret"]]""", (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes")).GetProperty("rows").GetRawText());
        Assert.False(File.Exists(Path.Combine(app.Lake.WorkDirectory, "out.csv")));
    }

    [Theory]
    [InlineData("SELECT job_id FROM job_outcomes UNION ALL SELECT job_id FROM main.job_outcomes")]
    [InlineData("SELECT * FROM job_outcomes WHERE _dp_tenant_id = 'globex' OR 1 = 1")]
    [InlineData("WITH all_rows AS (SELECT * FROM job_outcomes) SELECT * FROM all_rows")]
    [InlineData("SELECT * FROM (SELECT * FROM job_outcomes) t, LATERAL (SELECT 1)")]
    [InlineData("SELECT table_name FROM information_schema.tables")]
    [InlineData("SHOW TABLES")]
    [InlineData("DESCRIBE job_outcomes")]
    [InlineData("SUMMARIZE job_outcomes")]
    [InlineData("EXPLAIN SELECT * FROM job_outcomes")]
    public async Task Allowed_reads_still_return_only_the_tenants_rows(string sql)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "acme-secret" } });
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "globex-secret" } });

        var response = await app.QueryRawAsync("acme", sql);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("globex", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_tenants_session_holds_only_its_own_files()
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Production, DataPlaneApp.FilesOnly);
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "acme-1" } });
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "globex-1" } });

        var plan = await app.QueryAsync("acme", "EXPLAIN SELECT * FROM job_outcomes");

        var text = plan.GetProperty("rows").GetRawText();
        Assert.DoesNotContain("globex", text, StringComparison.Ordinal);
        Assert.Equal("""[["acme-1"]]""", (await app.QueryAsync("acme", "SELECT job_id FROM job_outcomes")).GetProperty("rows").GetRawText());
    }
}
