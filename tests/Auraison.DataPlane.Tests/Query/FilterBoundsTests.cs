using Auraison.DataPlane.Lake.Model;
using Auraison.DataPlane.Lake.Reading;
using Auraison.DataPlane.Query;

namespace Auraison.DataPlane.Tests.Query;

public class FilterBoundsTests
{
    private static async Task<string> ConditionsAsync(string sql) =>
        FilterBounds.Of(await SqlGuardTests.ParseAsync(sql)) is { } found
            ? $"{found.Table}: " + string.Join("; ", found.Conditions.Select(c =>
                $"{string.Join(".", c.Path)} {(c.Lower is { } l ? (l.Inclusive ? ">=" : ">") + l.Value : "")}{(c.Upper is { } u ? (u.Inclusive ? "<=" : "<") + u.Value : "")}" +
                (c.Extent is { } e ? $"box {e.XMin} {e.YMin} {e.XMax} {e.YMax}" : "")))
            : "none";

    [Theory]
    [InlineData("SELECT * FROM t WHERE 5 < x AND y <= -2.50", "main.t: x >5; y <=-2.50")]
    [InlineData("SELECT * FROM bench.t AS b WHERE b.x BETWEEN 1 AND 2 AND b.bbox.xmin = 0.5", "bench.t: x >=1<=2; bbox.xmin >=0.5<=0.5")]
    [InlineData("SELECT * FROM t WHERE st_intersects_extent(g, 'LINESTRING(1 -2, 3 4)')", "main.t: g box 1 -2 3 4")]
    [InlineData("SELECT * FROM t WHERE x > 1 OR y < 2", "none")]
    [InlineData("SELECT * FROM t JOIN u ON t.id = u.id WHERE x > 1", "none")]
    [InlineData("WITH c AS (SELECT 1) SELECT * FROM t WHERE x > 1", "none")]
    [InlineData("SELECT * FROM t WHERE x > y", "none")]
    public async Task Conditions_are_read_from_and_joined_comparisons_with_constants_of_a_single_table(string sql, string expected) =>
        Assert.Equal(expected, await ConditionsAsync(sql));

    [Theory]
    [InlineData("int64", "7", ConstantKind.Number, "10", -1)]
    [InlineData("decimal(38,2)", "170141183460469231731687303715884105727.50", ConstantKind.Text, "170141183460469231731687303715884105727.5", 0)]
    [InlineData("timestamptz", "2026-01-05 12:00:00+00", ConstantKind.Typed, "2026-01-05", 1)]
    [InlineData("date", "2026-01-05", ConstantKind.Text, "2026-01-06", -1)]
    [InlineData("varchar", "b", ConstantKind.Text, "a", 1)]
    [InlineData("varchar", "10", ConstantKind.Number, "9", null)]
    [InlineData("varchar", "2026-1-5", ConstantKind.Typed, "2026-01-05", null)]
    public void Statistics_compare_with_constants_as_the_columns_type_or_not_at_all(string type, string statistic, ConstantKind kind, string constant, int? expected) =>
        Assert.Equal(expected, StatsValues.Compare(LakeType.Primitive(type), statistic, new RangeEnd(constant, kind, Inclusive: true)) is { } c ? Math.Sign(c) : null);
}
