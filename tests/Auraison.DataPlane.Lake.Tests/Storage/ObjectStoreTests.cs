namespace Auraison.DataPlane.Lake.Tests.Storage;

public class ObjectStoreTests
{
    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task An_uploaded_file_reads_back_byte_for_byte(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var bytes = RandomBytes(300_000);
        var local = Path.Combine(test.WorkDirectory, "upload.bin");
        await File.WriteAllBytesAsync(local, bytes, ct);
        var path = lake.DataPath + "main/t/file.parquet";

        await lake.Storage.UploadAsync(local, path, ct);

        Assert.True(await lake.Storage.ExistsAsync(path, ct));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(await lake.Storage.GetLocalPathAsync(path, ct), ct));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Listing_a_directory_finds_every_object_below_it_and_nothing_else(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var local = Path.Combine(test.WorkDirectory, "upload.bin");
        await File.WriteAllBytesAsync(local, RandomBytes(10), ct);
        foreach (var name in new[] { "a/x/1.parquet", "a/y/2.parquet", "b/3.parquet" })
            await lake.Storage.UploadAsync(local, lake.DataPath + name, ct);

        var listed = await lake.Storage.ListAsync(lake.DataPath + "a/", ct).Select(o => o.Path).OrderBy(p => p, StringComparer.Ordinal).ToListAsync(ct);

        Assert.Equal([lake.DataPath + "a/x/1.parquet", lake.DataPath + "a/y/2.parquet"], listed);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task Listing_pages_through_more_objects_than_one_answer_holds(LakeMode mode)
    {
        const int objects = 1_050; // S3 answers at most 1,000 keys per listing
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var local = Path.Combine(test.WorkDirectory, "upload.bin");
        await File.WriteAllBytesAsync(local, RandomBytes(10), ct);
        await Parallel.ForEachAsync(Enumerable.Range(0, objects), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
            async (i, token) => await lake.Storage.UploadAsync(local, lake.DataPath + $"many/{i:D5}.parquet", token));

        var listed = await lake.Storage.ListAsync(lake.DataPath + "many/", ct).Select(o => o.Path).ToHashSetAsync(cancellationToken: ct);

        Assert.Equal(objects, listed.Count);
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task A_deleted_object_is_gone(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);
        var local = Path.Combine(test.WorkDirectory, "upload.bin");
        await File.WriteAllBytesAsync(local, RandomBytes(10), ct);
        var path = lake.DataPath + "gone.parquet";
        await lake.Storage.UploadAsync(local, path, ct);

        await lake.Storage.DeleteAsync(path, ct);

        Assert.False(await lake.Storage.ExistsAsync(path, ct));
        await Assert.ThrowsAnyAsync<Exception>(() => lake.Storage.GetLocalPathAsync(path, ct));
    }

    [Theory, MemberData(nameof(Modes.Both), MemberType = typeof(Modes))]
    public async Task The_readiness_check_passes_on_a_reachable_store(LakeMode mode)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var test = await TestLake.CreateAsync(mode);
        await using var lake = await Lakehouse.OpenAsync(test.Settings, ct);

        await lake.CheckCatalogAsync(ct);
        await lake.Storage.CheckAsync(ct);
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(count).NextBytes(bytes);
        return bytes;
    }
}
