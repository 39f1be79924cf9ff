namespace Auraison.DataPlane.Cli;

/// <summary>A prefix, a stream and a suffix read as one stream (a JSON array wrapped into the envelope).</summary>
internal sealed class ConcatStream(byte[] prefix, Stream middle, byte[] suffix) : ReadOnlyStream
{
    private int _part;
    private int _offset;

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_part < 3)
        {
            var read = _part == 1 ? await middle.ReadAsync(buffer, cancellationToken) : CopyFrom(_part == 0 ? prefix : suffix, buffer.Span);
            if (read > 0) return read;
            (_part, _offset) = (_part + 1, 0);
        }
        return 0;
    }

    private int CopyFrom(byte[] bytes, Span<byte> buffer)
    {
        var count = Math.Min(buffer.Length, bytes.Length - _offset);
        bytes.AsSpan(_offset, count).CopyTo(buffer);
        _offset += count;
        return count;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) middle.Dispose();
        base.Dispose(disposing);
    }
}
