using System.Security.Cryptography;
using System.Text;

namespace Auraison.DataPlane.Lake.Storage;

/// <summary>
/// A bounded local copy of immutable remote files. Entries appear only complete (download to a temporary name, then
/// rename); the least recently used go first when the bound is passed; the directory survives restarts.
/// A Parquet file is kept under the directories of its remote path (<c>s3://bucket/a/b.parquet</c> at
/// <c>bucket/a/b.parquet</c>), so that a remote directory's files share one local directory; a path that cannot be a
/// local one is kept under a name hashed from it.
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
        foreach (var stale in System.IO.Directory.EnumerateFiles(directory, "*.partial-*", SearchOption.AllDirectories)) File.Delete(stale);
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*.parquet", SearchOption.AllDirectories).OrderBy(f => f.LastWriteTimeUtc))
            Track(file.FullName, file.Length);
    }

    public long TotalBytes { get { lock (_gate) return _totalBytes; } }

    public string Directory => _directory;

    public async Task<string> GetOrDownloadAsync(string key, Func<string, CancellationToken, Task> download, CancellationToken cancellationToken)
    {
        var target = PathFor(key);
        if (Touch(target)) return target;
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
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
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
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
        key.EndsWith(".parquet", StringComparison.Ordinal) && Mirrored(key, minimumSegments: 2) is { } mirrored
            ? mirrored
            : Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))) + ".parquet");

    /// <summary>
    /// The local directory (ending in '/') that holds the cached Parquet files under the remote directory
    /// <paramref name="key"/>, and only those; null when its files are kept under hashed names.
    /// </summary>
    public string? DirectoryFor(string key) =>
        key.EndsWith('/') && Mirrored(key[..^1], minimumSegments: 1) is { } mirrored ? mirrored + "/" : null;

    private const int MostSegmentBytes = 255;
    private const int MostPathChars = 1024;

    /// <summary>The key's path below the cache directory, when each of its segments is a plain file name.</summary>
    private string? Mirrored(string key, int minimumSegments)
    {
        const string Scheme = "s3://";
        if (!key.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || key.Length > MostPathChars) return null;
        var segments = key[Scheme.Length..].Split('/');
        return segments.Length >= minimumSegments && segments.All(IsPlainSegment) ? Path.Combine([_directory, .. segments]) : null;
    }

    /// <remarks>Glob characters are left out too: DuckDB would expand a path holding them rather than open it.</remarks>
    private static bool IsPlainSegment(string segment) =>
        segment is not ("" or "." or "..") && !segment.Contains(".partial-", StringComparison.Ordinal)
        && Encoding.UTF8.GetByteCount(segment) <= MostSegmentBytes && !segment.Any(c => char.IsControl(c) || c is '\\' or '*' or '?' or '[' or ']' or '{' or '}');

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
