namespace Auraison.DataPlane.Tests;

/// <summary>A clock the test moves, so retention and expiry can run "days later" without waiting.</summary>
internal sealed class MovableTime : TimeProvider
{
    public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => Now;
}
