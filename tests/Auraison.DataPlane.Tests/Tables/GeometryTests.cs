using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Auraison.DataPlane.Lake.Reading;
using Auraison.DataPlane.Lake.Catalog;
using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Tests.Objects;
using DuckDB.NET.Data;

namespace Auraison.DataPlane.Tests.Tables;

/// <summary>
/// Geometry columns (SLAM maps, detections with positions): WKT in and out over HTTP, WKB with GeoParquet metadata in
/// the files, and each file's bounding box in the catalog as the stock extension records it.
/// </summary>
public class GeometryTests
{
    private static CancellationToken Ct => DataPlaneApp.Ct;

    /// <summary>A GeoParquet 1.1 file as geopandas writes it: WKB geometry, <c>geo</c> metadata, a bbox covering column.</summary>
    public const string GeoParquetSelect =
        "SELECT i AS landmark, st_aswkb(CAST('POINT(' || i || ' ' || (i * 2) || ')' AS GEOMETRY)) AS geometry, " +
        "{'xmin': CAST(i AS DOUBLE), 'ymin': CAST(i * 2 AS DOUBLE), 'xmax': CAST(i AS DOUBLE), 'ymax': CAST(i * 2 AS DOUBLE)} AS bbox FROM range(10) t(i)";

    public const string GeoMetadata = "KV_METADATA {geo: '" +
        """{"version":"1.1.0","primary_column":"geometry","columns":{"geometry":{"encoding":"WKB","geometry_types":["Point"],"covering":""" +
        """{"bbox":{"xmin":["bbox","xmin"],"ymin":["bbox","ymin"],"xmax":["bbox","xmax"],"ymax":["bbox","ymax"]}}}}}""" + "'}";

    /// <summary>Declares <c>slam.landmarks</c> (landmark BIGINT, position GEOMETRY).</summary>
    internal static async Task DeclareLandmarksAsync(DataPlaneApp app)
    {
        var declared = await app.Client.PutAsJsonAsync("/data/tables/slam.landmarks",
            new { columns = new[] { new { name = "landmark", type = "BIGINT" }, new { name = "position", type = "GEOMETRY" } } }, Ct);
        Assert.Equal(HttpStatusCode.Created, declared.StatusCode);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Geometry_columns_take_wkt_on_ingest_and_answer_wkt(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await DeclareLandmarksAsync(app);
        await app.IngestOkAsync("acme", "slam.landmarks", new object[]
        {
            new { landmark = 1, position = "POINT(1.5 2)" }, new { landmark = 2, position = "LINESTRING(0 0, 3 4)" }, new { landmark = 3 },
        });

        var reply = await app.QueryAsync("acme",
            "SELECT landmark, position, st_intersects_extent(position, 'POLYGON((1 1, 2 1, 2 3, 1 3, 1 1))') AS near FROM slam.landmarks ORDER BY landmark");

        Assert.Equal("""[[1,"POINT (1.5 2)",true],[2,"LINESTRING (0 0, 3 4)",true],[3,null,null]]""", reply.GetProperty("rows").GetRawText());
        Assert.Equal("GEOMETRY", reply.GetProperty("columns")[1].GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("somewhere near the dock")]
    [InlineData("POINT(one two)")]
    public async Task A_value_that_is_not_a_wkt_geometry_is_refused_and_stores_nothing(string value)
    {
        await using var app = await DataPlaneApp.StartAsync(LakeMode.Embedded);
        await DeclareLandmarksAsync(app);
        var before = await app.FootprintAsync();

        var response = await app.IngestAsync("acme", "slam.landmarks", new object[] { new { landmark = 1, position = "POINT(1 2)" }, new { landmark = 2, position = value } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await app.FootprintAsync());
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Geometry_files_keep_wkb_with_geoparquet_metadata_and_their_bounding_box_in_the_catalog(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await DeclareLandmarksAsync(app);
        await app.IngestOkAsync("acme", "slam.landmarks", new object[] { new { landmark = 1, position = "POINT(-1 7)" }, new { landmark = 2, position = "POINT(3 4)" } });
        var lake = await app.LakehouseAsync();
        var content = await lake.ReadAsync(SnapshotSelector.Latest, Ct, new ContentFilter(t => t.QualifiedName == "slam.landmarks"));
        var file = content.Data.Values.Single().Files.Single();

        await using var duck = new DuckDBConnection("Data Source=:memory:");
        await duck.OpenAsync(Ct);
        var local = SqlText.Literal(await lake.Storage.GetLocalPathAsync(file.Path, Ct));
        var geo = await duck.ScalarAsync<string>(null, $"SELECT decode(value) FROM parquet_kv_metadata({local}) WHERE decode(key) = 'geo'", Ct);
        var logical = await duck.ScalarAsync<string>(null, $"SELECT logical_type FROM parquet_schema({local}) WHERE name = 'position'", Ct);
        await using var catalog = await lake.Catalog.OpenAsync(Ct);
        var extra = await catalog.ScalarAsync<string>(null,
            "SELECT extra_stats FROM ducklake_file_column_stats WHERE data_file_id = $1 AND extra_stats IS NOT NULL", Ct, file.Id);
        var table = await catalog.ScalarAsync<string>(null,
            "SELECT extra_stats FROM ducklake_table_column_stats WHERE table_id = $1 AND extra_stats IS NOT NULL", Ct, file.TableId);

        Assert.Contains("\"encoding\":\"WKB\"", geo);
        Assert.StartsWith("GeometryType", logical);
        Assert.Equal("""{"bbox": {"xmin": -1.000000, "xmax": 3.000000, "ymin": 4.000000, "ymax": 7.000000, "zmin": null, "zmax": null, "mmin": null, "mmax": null}, "types": ["point"]}""",
            extra);
        Assert.Equal(extra, table);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_registered_geoparquet_file_keeps_its_geometry_and_its_bbox_column_gets_statistics(LakeMode mode)
    {
        await using var app = await DataPlaneApp.StartAsync(mode);
        await app.Client.PutOkAsync("acme", "maps/landmarks.parquet", await FileRegistrationTests.ParquetAsync(GeoParquetSelect, GeoMetadata));

        var response = await FileRegistrationTests.RegisterAsync(app.Client, "slam.landmark_map", "acme", "maps/landmarks.parquet");

        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        var table = await app.Client.GetFromJsonAsync<JsonElement>("/data/tables/slam.landmark_map?tenant_id=acme", Ct);
        Assert.Contains("\"GEOMETRY\"", table.GetProperty("columns").GetRawText());
        Assert.Equal("""[[3,"POINT (3 6)"]]""", (await app.QueryAsync("acme",
            "SELECT landmark, geometry FROM slam.landmark_map WHERE bbox.xmin BETWEEN 2.5 AND 3.5")).GetProperty("rows").GetRawText());
        var lake = await app.LakehouseAsync();
        await using var catalog = await lake.Catalog.OpenAsync(Ct);
        Assert.Equal("0.0 9.0", await catalog.ScalarAsync<string>(null,
            "SELECT s.min_value || ' ' || s.max_value FROM ducklake_file_column_stats s JOIN ducklake_column c ON c.column_id = s.column_id AND c.table_id = s.table_id " +
            "WHERE c.column_name = 'xmin' AND c.end_snapshot IS NULL", Ct));
    }
}
