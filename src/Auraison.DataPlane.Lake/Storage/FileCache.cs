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
    private readonly Dictionary<string, (long Size, long LastUse)> _entries = new(StringComparer.Ordinal);
    private long _totalBytes;
    private long _clock;

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
        lock (_gate)
        {
            if (_entries.Remove(target, out var entry)) _totalBytes -= entry.Size;
        }
        File.Delete(target);
    }

    private string PathFor(string key) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))) + ".parquet");

    private bool Touch(string path)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(path, out var entry)) return false;
            _entries[path] = (entry.Size, ++_clock);
            return true;
        }
    }

    private void Track(string path, long size)
    {
        List<string> evicted = [];
        lock (_gate)
        {
            if (_entries.Remove(path, out var previous)) _totalBytes -= previous.Size;
            _entries[path] = (size, ++_clock);
            _totalBytes += size;
            while (_totalBytes > _capacityBytes && _entries.Count > 1)
            {
                var oldest = _entries.Where(e => e.Key != path).MinBy(e => e.Value.LastUse);
                _entries.Remove(oldest.Key);
                _totalBytes -= oldest.Value.Size;
                evicted.Add(oldest.Key);
            }
        }
        // Readers that already opened an evicted file keep their handle; on Linux the bytes live until they close it.
        foreach (var file in evicted) File.Delete(file);
    }
}
