using Auraison.DataPlane.Objects;

namespace Auraison.DataPlane.Tests.Objects;

public class ObjectKeysTests
{
    [Theory]
    [InlineData("videos/r1/chunk-0001.mp4")]
    [InlineData("maps/slam map (v2).parquet")]
    [InlineData("a")]
    public void A_key_of_plain_segments_is_accepted(string key) => Assert.Null(ObjectKeys.Problem(key));

    [Theory]
    [InlineData("")]
    [InlineData("/videos/a.mp4")]
    [InlineData("videos/")]
    [InlineData("videos/../a.mp4")]
    [InlineData("./a.mp4")]
    [InlineData("videos\\a.mp4")]
    [InlineData("videos/a\n.mp4")]
    public void A_key_with_an_empty_dot_or_escaping_segment_is_refused(string key) => Assert.NotNull(ObjectKeys.Problem(key));

    [Fact]
    public void A_key_longer_than_1024_characters_is_refused() => Assert.NotNull(ObjectKeys.Problem(new string('k', ObjectKeys.MaxLength + 1)));
}
