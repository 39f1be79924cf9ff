namespace Auraison.DataPlane.Objects;

/// <summary>
/// Object keys are paths of segments separated by '/' (<c>videos/r1/chunk-0001.mp4</c>): at most 1024 characters,
/// no empty, '.' or '..' segment, no backslash or control character, so a key can never leave its tenant's prefix.
/// </summary>
public static class ObjectKeys
{
    public const int MaxLength = 1024;

    public static string? Problem(string? key)
    {
        if (string.IsNullOrEmpty(key)) return "The object key is required: /data/objects/{key}.";
        if (key.Length > MaxLength) return $"The object key has {key.Length} characters; at most {MaxLength} are allowed.";
        if (key.Any(c => char.IsControl(c) || c == '\\')) return "The object key may not contain control characters or backslashes.";
        if (key.Split('/').Any(segment => segment is "" or "." or ".."))
            return "The object key must be segments separated by single '/', none of them empty, '.' or '..'.";
        return null;
    }
}
