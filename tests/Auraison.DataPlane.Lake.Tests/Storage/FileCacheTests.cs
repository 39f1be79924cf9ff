using Auraison.DataPlane.Lake.Storage;

namespace Auraison.DataPlane.Lake.Tests.Storage;

public sealed class FileCacheTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "auraison-tests", "cache-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task The_least_recently_used_file_is_evicted_past_the_bound()
    {
        var cache = new FileCache(_directory, capacityBytes: 250);
        var ct = TestContext.Current.CancellationToken;
        var first = await cache.GetOrDownloadAsync("s3://b/1", Write(100), ct);
        var second = await cache.GetOrDownloadAsync("s3://b/2", Write(100), ct);
        await cache.GetOrDownloadAsync("s3://b/1", Fail, ct); // a hit: 1 becomes the most recently used

        await cache.GetOrDownloadAsync("s3://b/3", Write(100), ct);

        Assert.True(File.Exists(first));
        Assert.False(File.Exists(second));
        Assert.Equal(200, cache.TotalBytes);
    }

    [Fact]
    public async Task A_file_larger_than_the_bound_stays_until_the_next_one_arrives()
    {
        var cache = new FileCache(_directory, capacityBytes: 50);
        var ct = TestContext.Current.CancellationToken;
        var small = await cache.GetOrDownloadAsync("s3://b/small", Write(10), ct);

        var large = await cache.GetOrDownloadAsync("s3://b/large", Write(100), ct);

        Assert.False(File.Exists(small));
        Assert.True(File.Exists(large));
        Assert.Equal(100, cache.TotalBytes);
        var next = await cache.GetOrDownloadAsync("s3://b/next", Write(10), ct);
        Assert.False(File.Exists(large));
        Assert.Equal([next], Directory.EnumerateFiles(_directory));
    }

    [Fact]
    public async Task A_failed_download_leaves_no_entry_and_no_partial_file()
    {
        var cache = new FileCache(_directory, capacityBytes: 1000);
        var ct = TestContext.Current.CancellationToken;

        await Assert.ThrowsAsync<IOException>(() => cache.GetOrDownloadAsync("s3://b/broken", async (target, token) =>
        {
            await File.WriteAllBytesAsync(target, new byte[10], token);
            throw new IOException("connection reset");
        }, ct));

        Assert.Empty(Directory.EnumerateFiles(_directory));
        var retried = await cache.GetOrDownloadAsync("s3://b/broken", Write(10), ct);
        Assert.Equal(10, new FileInfo(retried).Length);
    }

    [Fact]
    public async Task Cached_files_survive_a_restart_without_downloading_again()
    {
        var ct = TestContext.Current.CancellationToken;
        var path = await new FileCache(_directory, 1000).GetOrDownloadAsync("s3://b/kept", Write(42), ct);

        var restarted = new FileCache(_directory, 1000);

        Assert.Equal(path, await restarted.GetOrDownloadAsync("s3://b/kept", Fail, ct));
        Assert.Equal(42, restarted.TotalBytes);
    }

    [Fact]
    public async Task A_parquet_file_is_kept_under_the_directories_of_its_path_so_its_directory_holds_it()
    {
        var cache = new FileCache(_directory, capacityBytes: 1000);
        var ct = TestContext.Current.CancellationToken;

        var local = await cache.GetOrDownloadAsync("s3://bucket/lake/main/t/tenant_id=acme/f.parquet", Write(10), ct);

        Assert.Equal(Path.Combine(_directory, "bucket", "lake", "main", "t", "tenant_id=acme", "f.parquet"), local);
        Assert.Equal(Path.Combine(_directory, "bucket", "lake", "main", "t", "tenant_id=acme") + "/", cache.DirectoryFor("s3://bucket/lake/main/t/tenant_id=acme/"));
        Assert.Equal(local, new FileCache(_directory, 1000).PathFor("s3://bucket/lake/main/t/tenant_id=acme/f.parquet"));
    }

    [Theory]
    [InlineData("s3://bucket/lake/../other/f.parquet")]
    [InlineData("s3://bucket/lake//f.parquet")]
    [InlineData("s3://bucket/lake/f.parquet.partial-1/g.parquet")]
    [InlineData("s3://bucket/lake/part=*/g.parquet")]
    public void A_path_that_cannot_be_a_local_one_is_kept_under_a_hashed_name_in_no_directory(string key)
    {
        var cache = new FileCache(_directory, capacityBytes: 1000);

        Assert.Equal(_directory, Path.GetDirectoryName(cache.PathFor(key)));
        Assert.Null(cache.DirectoryFor(key[..(key.LastIndexOf('/') + 1)]));
    }

    private static Func<string, CancellationToken, Task> Write(int size) =>
        (target, token) => File.WriteAllBytesAsync(target, new byte[size], token);

    private static Task Fail(string target, CancellationToken token) => throw new InvalidOperationException("expected a cache hit");

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
