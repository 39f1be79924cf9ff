using System.Collections.Concurrent;

namespace Auraison.DataPlane.Hosting;

/// <summary>
/// Values every request would otherwise read from the catalog (a key, a policy), each kept for <c>reuse</c> after it
/// was read. A change made through this process forgets the value at once; one made through another replica is
/// seen within <c>reuse</c>. Misses are not kept, so made-up keys cannot fill it.
/// </summary>
public sealed class RecentValues<TKey, TValue>(TimeProvider time, TimeSpan reuse) where TKey : notnull where TValue : class
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<TKey, (TValue Value, DateTimeOffset Read)> _values = new();

    public async Task<TValue?> GetAsync(TKey key, Func<Task<TValue?>> read)
    {
        var now = time.GetUtcNow();
        if (_values.TryGetValue(key, out var recent) && now - recent.Read < reuse) return recent.Value;
        var value = await read();
        if (value is null) _values.TryRemove(key, out _);
        else
        {
            if (_values.Count >= MaxEntries) _values.Clear();
            _values[key] = (value, now);
        }
        return value;
    }

    public void Forget(TKey key) => _values.TryRemove(key, out _);

    public void Clear() => _values.Clear();
}
