using System.Text.RegularExpressions;

namespace Auraison.DataPlane.Tests.Interop;

/// <summary>The README's "Attach this lake from DuckDB" commands, run as written with the reference DuckDB on a lake the service wrote.</summary>
public class ReadmeAttachTests
{
    private static CancellationToken Ct => DataPlaneApp.Ct;

    [Fact]
    public async Task The_embedded_mode_block_reads_the_services_lake()
    {
        var reference = ReferenceDuckDb.Require();
        await using var app = await ServiceLakeWithOneDetectionAsync(LakeMode.Embedded);
        var statements = Block("Embedded mode").Replace("src/Auraison.DataPlane/data/catalog.ducklake", app.Lake.Settings.ResolvedCatalogFile,
            StringComparison.Ordinal);

        Assert.Equal(["""{"count_star()":1}"""], await RunAsync(reference, statements, app.Lake.WorkDirectory));
    }

    [Fact]
    public async Task The_production_mode_block_reads_the_services_lake_through_a_copy_of_its_catalog()
    {
        var reference = ReferenceDuckDb.Require();
        await using var app = await ServiceLakeWithOneDetectionAsync(LakeMode.Production);
        // The reference build has no postgres or httpfs extension: the secret and the ATTACH are replaced by an
        // attach of the catalog's DuckDB copy; the queries run as written.
        var block = Block("Production mode");
        Assert.Contains("METADATA_SCHEMA 'ducklake'", block, StringComparison.Ordinal);
        var queries = string.Join("\n", block.Split('\n').Where(l => !l.StartsWith("CREATE SECRET", StringComparison.Ordinal) && !l.StartsWith("ATTACH", StringComparison.Ordinal)));
        await using var stock = await StockLake.OpenAsync(app.Lake, Ct);

        Assert.Equal(["""{"count_star()":1}"""], await RunAsync(reference, stock.Attach() + "\n" + queries, app.Lake.WorkDirectory));
    }

    private static async Task<DataPlaneApp> ServiceLakeWithOneDetectionAsync(LakeMode mode)
    {
        var app = await DataPlaneApp.StartAsync(mode);
        var reply = await app.IngestOkAsync("acme", "event_log.object_detections", new object[] { new { frame = 1, label = "cup" } });
        Assert.Equal(2, reply.GetProperty("lake_snapshot_id").GetInt64());
        await app.StopAsync();
        return app;
    }

    /// <summary>Runs all statements; returns the rows of the last one.</summary>
    private static Task<List<string>> RunAsync(ReferenceDuckDb reference, string statements, string folder)
    {
        var all = statements.Trim().TrimEnd(';').Split(";\n");
        return reference.JsonRowsAsync(string.Join(";\n", all[..^1]) + ";", all[^1], folder, Ct);
    }

    /// <summary>The sql block after the README line that starts with <paramref name="label"/> in the attach section.</summary>
    private static string Block(string label)
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var section = readme[readme.IndexOf("## Attach this lake from DuckDB", StringComparison.Ordinal)..];
        var match = SqlBlock(label).Match(section);
        Assert.True(match.Success, $"README has no sql block after '{label}' in its attach section");
        return match.Groups["sql"].Value;
    }

    private static Regex SqlBlock(string label) => new($"^{Regex.Escape(label)}.*?```sql\\n(?<sql>.*?)```", RegexOptions.Singleline | RegexOptions.Multiline);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Auraison.DataPlane.sln"))) return directory.FullName;
        throw new DirectoryNotFoundException("The repository root (Auraison.DataPlane.sln) is not above " + AppContext.BaseDirectory);
    }
}
