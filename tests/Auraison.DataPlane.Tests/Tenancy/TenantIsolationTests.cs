using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Auraison.DataPlane.Tests.Tenancy;

/// <summary>What one tenant's writes leave visible to another: nothing but the platform's shared tables.</summary>
public class TenantIsolationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_table_another_tenant_created_is_not_listed_and_does_not_exist_for_queries(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("globex", "secret_project", new object[] { new { codename = "falcon" } });

        var acmeTables = await app.TablesAsync("acme");
        var globexTables = await app.TablesAsync("globex");
        var query = await app.QueryRawAsync("acme", "SELECT * FROM secret_project");
        var one = await app.Client.GetAsync("/data/tables/secret_project?tenant_id=acme", Ct);

        Assert.DoesNotContain("main.secret_project", acmeTables.Keys);
        Assert.Contains("main.job_outcomes", acmeTables.Keys);
        Assert.Contains("main.secret_project", globexTables.Keys);
        Assert.Equal(HttpStatusCode.BadRequest, query.StatusCode);
        Assert.Contains("does not exist", await query.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, one.StatusCode);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_field_another_tenant_added_to_a_shared_table_is_not_a_column_for_this_tenant(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "g1", gpu_hours = 3.5 } });
        await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a1" } });

        var listed = (await app.TablesAsync("acme"))["main.job_outcomes"].GetProperty("columns").EnumerateArray()
            .Select(c => c.GetProperty("name").GetString()).ToList();
        var selected = DataPlaneApp.ColumnNames(await app.QueryAsync("acme", "SELECT * FROM job_outcomes"));
        var globexSelected = await app.QueryAsync("globex", "SELECT job_id, gpu_hours FROM job_outcomes");

        Assert.DoesNotContain(listed, name => name!.Contains("gpu_hours", StringComparison.Ordinal));
        Assert.DoesNotContain(selected, name => name.Contains("gpu_hours", StringComparison.Ordinal));
        Assert.Contains("job_id", selected);
        Assert.Equal("""[["g1",3.5]]""", globexSelected.GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Another_tenants_first_write_of_a_field_does_not_decide_its_type_for_this_tenant(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("globex", "job_outcomes", new object[] { new { job_id = "g1", priority = "high" } });

        var acme = await app.IngestAsync("acme", "job_outcomes", new object[] { new { job_id = "a1", priority = 3 } });

        Assert.Equal(HttpStatusCode.Created, acme.StatusCode);
        Assert.Equal("3", await app.ScalarAsync("acme", "SELECT priority FROM job_outcomes"));
        Assert.Equal("\"BIGINT\"", (await app.QueryAsync("acme", "SELECT priority FROM job_outcomes")).GetProperty("columns")[0].GetProperty("type").GetRawText());
        Assert.Equal("\"high\"", await app.ScalarAsync("globex", "SELECT priority FROM job_outcomes"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Two_tenants_creating_a_table_of_one_name_each_read_only_their_own_fields_and_rows(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("acme", "robot_logs", new object[] { new { level = 1, note = "acme" } });
        await app.IngestOkAsync("globex", "robot_logs", new object[] { new { level = "warn", extra = true } });

        static IEnumerable<string> Fields(JsonElement reply) => DataPlaneApp.ColumnNames(reply).Where(c => !c.StartsWith("_dp_", StringComparison.Ordinal));
        var acme = await app.QueryAsync("acme", "SELECT * FROM robot_logs");
        var globex = await app.QueryAsync("globex", "SELECT * FROM robot_logs");

        Assert.Equal(["level", "note"], Fields(acme));
        Assert.Equal("""[[1,"acme"]]""", (await app.QueryAsync("acme", "SELECT level, note FROM robot_logs")).GetProperty("rows").GetRawText());
        Assert.Equal(["level", "extra"], Fields(globex));
        Assert.Equal("""[["warn",true]]""", (await app.QueryAsync("globex", "SELECT level, extra FROM robot_logs")).GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Lake_history_shows_a_tenant_its_own_commits_and_shared_ones_without_other_tenants_changes(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        var before = await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a1" } });
        var globex = await app.IngestOkAsync("globex", "secret_project", new object[] { new { codename = "falcon" } });
        var acme = await app.IngestOkAsync("acme", "job_outcomes", new object[] { new { job_id = "a2" } });

        var history = await app.Client.GetFromJsonAsync<JsonElement>("/data/lake/snapshots?tenant_id=acme&limit=1000", Ct);
        var globexHistory = await app.Client.GetFromJsonAsync<JsonElement>("/data/lake/snapshots?tenant_id=globex&limit=1000", Ct);
        var ids = history.EnumerateArray().Select(s => s.GetProperty("lake_snapshot_id").GetInt64()).ToList();

        Assert.Contains(before.GetProperty("lake_snapshot_id").GetInt64(), ids);
        Assert.Contains(acme.GetProperty("lake_snapshot_id").GetInt64(), ids);
        Assert.DoesNotContain(globex.GetProperty("lake_snapshot_id").GetInt64(), ids);
        Assert.DoesNotContain("secret_project", history.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("secret_project", globexHistory.GetRawText(), StringComparison.Ordinal);
        Assert.Contains(globex.GetProperty("lake_snapshot_id").GetInt64(), globexHistory.EnumerateArray().Select(s => s.GetProperty("lake_snapshot_id").GetInt64()));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_tenant_lists_the_retrieval_sources_of_tables_it_sees_only(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.IngestOkAsync("globex", "secret_project", new object[] { new { codename = "falcon" } });
        var all = await app.Client.GetFromJsonAsync<JsonElement>("/data/retrieval/sources", Ct);
        var sources = all.EnumerateArray().Select(s => JsonSerializer.Deserialize<object>(s.GetRawText())).Append(new
        {
            table = "secret_project", text_template = "{codename}", metadata_fields = Array.Empty<string>(),
        }).ToList();
        (await app.Client.PutAsJsonAsync("/data/retrieval/sources", sources, Ct)).EnsureSuccessStatusCode();

        var acme = await app.Client.GetFromJsonAsync<JsonElement>("/data/retrieval/sources?tenant_id=acme", Ct);
        var globex = await app.Client.GetFromJsonAsync<JsonElement>("/data/retrieval/sources?tenant_id=globex", Ct);

        Assert.DoesNotContain(acme.EnumerateArray(), s => s.GetProperty("table").GetString() == "main.secret_project");
        Assert.Contains(acme.EnumerateArray(), s => s.GetProperty("table").GetString() == "main.job_outcomes");
        Assert.Contains(globex.EnumerateArray(), s => s.GetProperty("table").GetString() == "main.secret_project");
    }
}
