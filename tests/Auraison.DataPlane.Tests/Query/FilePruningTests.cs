using Auraison.DataPlane.Lake.Reading;
using Auraison.DataPlane.Tests.Tables;

namespace Auraison.DataPlane.Tests.Query;

/// <summary>
/// A query that filters the one table it reads reads only the files whose catalog statistics can hold a match:
/// DuckDB's own count of files read (EXPLAIN ANALYZE) shows it, and the rows are those of a full read.
/// </summary>
public class FilePruningTests
{
    private const int Files = FileListVariables.VariableFrom + 6;

    /// <summary>One file per landmark i: landmark = i, position POINT(i, 2i), seen on day i of 2026.</summary>
    private static async Task<DataPlaneApp> StartWithOneFilePerLandmarkAsync(LakeMode mode)
    {
        var app = await DataPlaneApp.StartAsync(mode, DataPlaneApp.FilesOnly);
        await GeometryTests.DeclareLandmarksAsync(app);
        for (var i = 0; i < Files; i++)
            await app.IngestOkAsync("acme", "slam.landmarks", new object[]
            {
                new { landmark = i, position = $"POINT({i} {2 * i})", seen_at = new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc).AddDays(i).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) },
            });
        await app.IngestOkAsync("globex", "slam.landmarks", new object[] { new { landmark = 11, position = "POINT(11 22)" } });
        return app;
    }

    private static async Task<string> FilesReadAsync(DataPlaneApp app, string where) =>
        (await app.QueryAsync("acme", $"EXPLAIN ANALYZE SELECT count(*) FROM slam.landmarks WHERE {where}")).GetProperty("rows").GetRawText();

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_range_filter_reads_only_the_files_whose_statistics_can_match(LakeMode mode)
    {
        await using var app = await StartWithOneFilePerLandmarkAsync(mode);

        var plan = await FilesReadAsync(app, "landmark BETWEEN 10 AND 12");
        var rows = await app.ScalarAsync("acme", "SELECT count(*) FROM slam.landmarks WHERE landmark BETWEEN 10 AND 12");

        Assert.Contains("Total Files Read: 3", plan);
        Assert.Equal("3", rows);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_time_filter_reads_only_the_files_of_those_days(LakeMode mode)
    {
        await using var app = await StartWithOneFilePerLandmarkAsync(mode);

        var plan = await FilesReadAsync(app, "seen_at >= TIMESTAMPTZ '2026-01-05' AND seen_at < '2026-01-07'");

        Assert.Contains("Total Files Read: 2", plan);
        Assert.Equal("[[4],[5]]", (await app.QueryAsync("acme",
            "SELECT landmark FROM slam.landmarks WHERE seen_at >= TIMESTAMPTZ '2026-01-05' AND seen_at < '2026-01-07' ORDER BY 1")).GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_spatial_filter_reads_only_the_files_whose_bounding_box_meets_it(LakeMode mode)
    {
        await using var app = await StartWithOneFilePerLandmarkAsync(mode);
        const string near = "st_intersects_extent(position, 'POLYGON((9.5 19, 10.5 19, 10.5 21, 9.5 21, 9.5 19))')";

        var plan = await FilesReadAsync(app, near);

        Assert.Contains("Total Files Read: 1", plan);
        Assert.Equal("[[10]]", (await app.QueryAsync("acme", $"SELECT landmark FROM slam.landmarks WHERE {near}")).GetProperty("rows").GetRawText());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_query_after_a_pruned_one_reads_every_file_again(LakeMode mode)
    {
        await using var app = await StartWithOneFilePerLandmarkAsync(mode);
        await FilesReadAsync(app, "landmark = 3");

        var all = await app.ScalarAsync("acme", "SELECT count(*) FROM slam.landmarks");
        var none = await app.ScalarAsync("acme", "SELECT count(*) FROM slam.landmarks WHERE landmark > 1000");

        Assert.Equal(Files.ToString(System.Globalization.CultureInfo.InvariantCulture), all);
        Assert.Equal("0", none);
    }
}
