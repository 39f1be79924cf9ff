using System.Text;
using Auraison.DataPlane.Ingest;

namespace Auraison.DataPlane.Tests.Ingest;

public class IsoDateTimesTests
{
    [Theory]
    [InlineData("2026-11-27T10:00:00Z", IsoDateTimes.Form.DuckDbReadable)]
    [InlineData("2026-11-27 10:00:00.123456789+02:00", IsoDateTimes.Form.DuckDbReadable)]
    [InlineData("2026-11-27T10:00:00-0530", IsoDateTimes.Form.DuckDbReadable)]
    [InlineData("2026-11-27T10:00:00+02", IsoDateTimes.Form.DuckDbReadable)]
    [InlineData("2026-11-27T10:00:00", IsoDateTimes.Form.DuckDbReadable)]
    [InlineData("2026-11-27T10:00Z", IsoDateTimes.Form.NeedsRewrite)]
    [InlineData("2026-11-27T10:00:00z", IsoDateTimes.Form.NeedsRewrite)]
    [InlineData("2026-02-30T10:00:00Z", IsoDateTimes.Form.None)]
    [InlineData("2026-11-27T24:00:00Z", IsoDateTimes.Form.None)]
    [InlineData("2026-11-27", IsoDateTimes.Form.None)]
    [InlineData("2026-11-27T10:00:00.Z", IsoDateTimes.Form.None)]
    [InlineData("2026-11-27T10:00:00+15:00", IsoDateTimes.Form.None)]
    [InlineData("2026-11-27t10:00:00Z", IsoDateTimes.Form.None)]
    [InlineData("0001-01-01T00:00:00+01:00", IsoDateTimes.Form.None)]
    [InlineData("tomorrow", IsoDateTimes.Form.None)]
    public void A_string_is_a_date_time_by_the_rules_and_DuckDB_reads_it_as_is_or_not(string text, IsoDateTimes.Form form) =>
        Assert.Equal(form, IsoDateTimes.Of(Encoding.UTF8.GetBytes(text)));
}
