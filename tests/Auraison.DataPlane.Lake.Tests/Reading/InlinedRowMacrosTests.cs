using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Lake.Tests.Reading;

public class InlinedRowMacrosTests
{
    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Views_moved_forward_read_the_rows_inlined_since_and_stay_as_they_were_created(LakeMode mode)
    {
        await using var views = await ViewsAsync(mode, inlined: true);
        var viewSql = await views.ScalarAsync("SELECT sql FROM duckdb_views() WHERE view_name = 'readings'");

        await views.AdvanceAsync("SELECT 3 AS n");

        Assert.Equal($"{Files + 5}", await views.ScalarAsync("SELECT sum(n) FROM main.readings"));
        Assert.Equal(viewSql, await views.ScalarAsync("SELECT sql FROM duckdb_views() WHERE view_name = 'readings'"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_view_that_read_no_inlined_rows_reads_those_inlined_after_it(LakeMode mode)
    {
        await using var views = await ViewsAsync(mode, inlined: false);

        await views.AdvanceAsync("SELECT 3 AS n");

        Assert.Equal($"{Files + 3}", await views.ScalarAsync("SELECT sum(n) FROM main.readings"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Catalog_listings_of_the_views_database_show_no_macro(LakeMode mode)
    {
        await using var views = await ViewsAsync(mode, inlined: true);

        Assert.Equal("1", await views.ScalarAsync(MacroCount));
        Assert.Equal("main.readings", await views.ScalarAsync("SELECT string_agg(table_schema || '.' || table_name, ',') FROM information_schema.tables"));
    }

    [Fact]
    public async Task A_table_of_few_files_keeps_its_inlined_rows_in_its_view()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(LakeMode.Embedded);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "readings", "n BIGINT");
        await lake.AppendAsync(table, "SELECT 1 AS n");
        await lake.AppendInlinedAsync(table, "SELECT 2 AS n");
        await using var duck = await QueryDatabase.OpenAsync(ct);

        await lake.Reader.CreateViewsAsync(duck, await lake.ReadAsync(SnapshotSelector.Latest, ct), ct);

        Assert.Equal("3", await ScalarAsync(duck, "SELECT sum(n) FROM main.readings"));
        Assert.Equal("0", await ScalarAsync(duck, MacroCount));
    }

    // Tables of fewer files keep their inlined rows in the view (InlinedRowMacros.PayOff).
    private const int Files = FileListVariables.VariableFrom;

    private const string MacroCount = "SELECT count(*) FROM duckdb_functions() WHERE function_name LIKE 'lake_inlined_rows_%'";

    /// <summary>
    /// Views over a table of one-row files (each row 1), enough for its view to read inlined rows from a macro, and,
    /// when <paramref name="inlined"/>, one row 2 inlined in the catalog.
    /// </summary>
    private static async Task<Scenario> ViewsAsync(LakeMode mode, bool inlined)
    {
        var ct = TestContext.Current.CancellationToken;
        var test = await TestLake.CreateAsync(mode);
        var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await lake.CreateTableAsync("main", "readings", "n BIGINT");
        for (var i = 0; i < Files; i++) await lake.AppendAsync(table, "SELECT 1 AS n");
        if (inlined) await lake.AppendInlinedAsync(table, "SELECT 2 AS n");
        var duck = await QueryDatabase.OpenAsync(ct);
        var content = await lake.ReadAsync(SnapshotSelector.Latest, ct);
        return new Scenario(test, lake, table, duck, content, await lake.Reader.CreateViewsAsync(duck, content, ct));
    }

    private sealed record Scenario(TestLake Test, Lakehouse Lake, LakeTable Table, DuckDBConnection Duck, SnapshotContent Content, CreatedViews Views)
        : IAsyncDisposable
    {
        /// <summary>Inlines the rows of <paramref name="select"/> and moves the views forward to that commit.</summary>
        public async Task AdvanceAsync(string select)
        {
            var ct = TestContext.Current.CancellationToken;
            var later = await Lake.AppendInlinedAsync(Table, select);
            var advanced = await Lake.Reader.AdvanceAsync(Content, later.SnapshotId, null, ct);
            await Lake.Reader.AdvanceViewsAsync(Duck, Views, Content, advanced!, ct);
        }

        public Task<string?> ScalarAsync(string sql) => InlinedRowMacrosTests.ScalarAsync(Duck, sql);

        public async ValueTask DisposeAsync()
        {
            await Duck.DisposeAsync();
            await Lake.DisposeAsync();
            await Test.DisposeAsync();
        }
    }

    private static async Task<string?> ScalarAsync(DuckDBConnection duck, string sql)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
