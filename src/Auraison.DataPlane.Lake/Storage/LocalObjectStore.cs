using System.Runtime.CompilerServices;

namespace Auraison.DataPlane.Lake.Storage;

/// <summary>Data files in a local directory (the embedded default).</summary>
public sealed class LocalObjectStore(string root) : IObjectStore
{
    public async Task UploadAsync(string localFile, string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var staging = path + ".partial-" + Guid.NewGuid().ToString("N");
        await using (var source = File.OpenRead(localFile))
        await using (var target = new FileStream(staging, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await source.CopyToAsync(target, cancellationToken);
            target.Flush(flushToDisk: true);
        }
        File.Move(staging, path, overwrite: true);
    }

    public Task<string> GetLocalPathAsync(string path, CancellationToken cancellationToken) =>
        File.Exists(path) ? Task.FromResult(path) : throw new FileNotFoundException($"Data file {path} is missing.", path);

    public string LocalPathOf(string path) => path;

    public string? LocalDirectoryOf(string directory) => DataPaths.Normalize(directory);

    public string? CacheDirectory => null;

    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) => Task.FromResult(File.Exists(path));

    public Task<Uri?> PresignUploadAsync(string path, string contentType, DateTimeOffset expiresAt) => Task.FromResult<Uri?>(null);

    public Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        File.Delete(path);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        if (!Directory.Exists(directory)) yield break;
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(file);
            yield return new StoredObject(file.Replace('\\', '/'), info.Length, info.LastWriteTimeUtc);
        }
    }

    public Task CheckAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        var probe = Path.Combine(root, ".ready-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(probe, "ok");
        File.Delete(probe);
        return Task.CompletedTask;
    }
}
