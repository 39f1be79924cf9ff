using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Lake.Tests.Reading;

public class InlinedRowMacrosTests
{
    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Views_moved_forward_read_the_rows_inlined_since_and_stay_as_they_were_created(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await ManyFilesAsync(lake);
        await lake.AppendInlinedAsync(table, "SELECT 2 AS n");
        await using var duck = await QueryDatabase.OpenAsync(ct);
        var content = await lake.ReadAsync(SnapshotSelector.Latest, ct);
        var views = await lake.Reader.CreateViewsAsync(duck, content, ct);
        var viewSql = await ScalarAsync(duck, "SELECT sql FROM duckdb_views() WHERE view_name = 'readings'");

        var later = await lake.AppendInlinedAsync(table, "SELECT 3 AS n");
        var advanced = await lake.Reader.AdvanceAsync(content, later.SnapshotId, null, ct);
        await lake.Reader.AdvanceViewsAsync(duck, views, advanced!, [table], ct);

        Assert.Equal($"{Files + 5}", await ScalarAsync(duck, "SELECT sum(n) FROM main.readings"));
        Assert.Equal(viewSql, await ScalarAsync(duck, "SELECT sql FROM duckdb_views() WHERE view_name = 'readings'"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_view_that_read_no_inlined_rows_reads_those_inlined_after_it(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await ManyFilesAsync(lake);
        await using var duck = await QueryDatabase.OpenAsync(ct);
        var content = await lake.ReadAsync(SnapshotSelector.Latest, ct);
        var views = await lake.Reader.CreateViewsAsync(duck, content, ct);

        var later = await lake.AppendInlinedAsync(table, "SELECT 3 AS n");
        await lake.Reader.AdvanceViewsAsync(duck, views, (await lake.Reader.AdvanceAsync(content, later.SnapshotId, null, ct))!, [table], ct);

        Assert.Equal($"{Files + 3}", await ScalarAsync(duck, "SELECT sum(n) FROM main.readings"));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Catalog_listings_of_the_views_database_show_no_macro(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var table = await ManyFilesAsync(lake);
        await lake.AppendInlinedAsync(table, "SELECT 2 AS n");
        await using var duck = await QueryDatabase.OpenAsync(ct);

        await lake.Reader.CreateViewsAsync(duck, await lake.ReadAsync(SnapshotSelector.Latest, ct), ct);

        Assert.Equal("main.readings", await ScalarAsync(duck, "SELECT string_agg(table_schema || '.' || table_name, ',') FROM information_schema.tables"));
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
        Assert.Equal("0", await ScalarAsync(duck, "SELECT count(*) FROM duckdb_functions() WHERE function_name LIKE 'lake_inlined_rows_%'"));
    }

    // Tables of fewer files keep their inlined rows in the view (InlinedRowMacros.PayOff).
    private const int Files = FileListVariables.VariableFrom;

    /// <summary>A table of one-row files (each row 1), enough for its view to read its inlined rows from a macro.</summary>
    private static async Task<LakeTable> ManyFilesAsync(Lakehouse lake)
    {
        var table = await lake.CreateTableAsync("main", "readings", "n BIGINT");
        for (var i = 0; i < Files; i++) await lake.AppendAsync(table, "SELECT 1 AS n");
        return table;
    }

    private static async Task<string?> ScalarAsync(DuckDBConnection duck, string sql)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
