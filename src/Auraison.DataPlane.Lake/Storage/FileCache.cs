using System.Security.Cryptography;
using System.Text;

namespace Auraison.DataPlane.Lake.Storage;

/// <summary>
/// A bounded local copy of immutable remote files. Entries appear only complete (download to a temporary name, then
/// rename); the least recently used go first when the bound is passed; the directory survives restarts.
/// </summary>
public sealed class FileCache
{
    private readonly string _directory;
    private readonly long _capacityBytes;
    private readonly Lock _gate = new();
    // Each file's node in the use order (most recent first), so that a use and an eviction cost the same at 100,000 files as at ten.
    private readonly Dictionary<string, LinkedListNode<(string Path, long Size)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Path, long Size)> _byUse = [];
    private long _totalBytes;

    public FileCache(string directory, long capacityBytes)
    {
        _directory = directory;
        _capacityBytes = capacityBytes;
        System.IO.Directory.CreateDirectory(directory);
        foreach (var stale in System.IO.Directory.EnumerateFiles(directory, "*.partial-*")) File.Delete(stale);
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*.parquet").OrderBy(f => f.LastWriteTimeUtc))
            Track(file.FullName, file.Length);
    }

    public long TotalBytes { get { lock (_gate) return _totalBytes; } }

    public string Directory => _directory;

    public async Task<string> GetOrDownloadAsync(string key, Func<string, CancellationToken, Task> download, CancellationToken cancellationToken)
    {
        var target = PathFor(key);
        if (Touch(target)) return target;
        var staging = target + ".partial-" + Guid.NewGuid().ToString("N");
        try
        {
            await download(staging, cancellationToken);
            File.Move(staging, target, overwrite: true);
        }
        finally
        {
            File.Delete(staging);
        }
        Track(target, new FileInfo(target).Length);
        return target;
    }

    public void Add(string key, string localFile)
    {
        var target = PathFor(key);
        var staging = target + ".partial-" + Guid.NewGuid().ToString("N");
        File.Copy(localFile, staging);
        File.Move(staging, target, overwrite: true);
        Track(target, new FileInfo(target).Length);
    }

    public void Remove(string key)
    {
        var target = PathFor(key);
        lock (_gate) Forget(target);
        File.Delete(target);
    }

    /// <summary>Stops tracking a file (under the gate).</summary>
    private void Forget(string path)
    {
        if (!_entries.Remove(path, out var node)) return;
        _byUse.Remove(node);
        _totalBytes -= node.Value.Size;
    }

    /// <summary>The local file of <paramref name="key"/>, whether it is cached now or not.</summary>
    public string PathFor(string key) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))) + ".parquet");

    private bool Touch(string path)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(path, out var node)) return false;
            _byUse.Remove(node);
            _byUse.AddFirst(node);
            return true;
        }
    }

    private void Track(string path, long size)
    {
        List<string> evicted = [];
        lock (_gate)
        {
            Forget(path);
            _entries[path] = _byUse.AddFirst((path, size));
            _totalBytes += size;
            // The file just tracked is first in the order: the last is the least recently used of the others.
            while (_totalBytes > _capacityBytes && _byUse.Last is { } oldest && oldest != _byUse.First)
            {
                Forget(oldest.Value.Path);
                evicted.Add(oldest.Value.Path);
            }
        }
        // Readers that already opened an evicted file keep their handle; on Linux the bytes live until they close it.
        foreach (var file in evicted) File.Delete(file);
    }
}
