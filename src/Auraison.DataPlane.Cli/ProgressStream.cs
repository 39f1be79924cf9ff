using System.Diagnostics;
using System.Globalization;

namespace Auraison.DataPlane.Cli;

/// <summary>Reports how much of the file has been read, at most four times a second.</summary>
internal sealed class ProgressStream(Stream inner, long length, string name, TextWriter progress) : ReadOnlyStream
{
    private readonly Stopwatch _sinceReport = Stopwatch.StartNew();
    private long _read;

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken));

    private int Counted(int read)
    {
        _read += read;
        if (read == 0 || _sinceReport.ElapsedMilliseconds >= 250)
        {
            _sinceReport.Restart();
            progress.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r{name}: {(length == 0 ? 100 : 100 * _read / length),3}% ({_read / 1048576.0:0.0} of {length / 1048576.0:0.0} MiB)"));
        }
        return read;
    }

    public override long Length => length;
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
