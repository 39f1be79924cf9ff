namespace Auraison.DataPlane.Lake;

/// <summary>DuckLake path rules: forward slashes, directories end with '/', relative links resolve against their parent.</summary>
public static class DataPaths
{
    public static bool IsS3(string path) => path.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    public static bool IsAbsolute(string path) => IsS3(path) || path.StartsWith('/') || Path.IsPathRooted(path);

    /// <summary>Normalises a directory: forward slashes and a trailing '/'; local paths become absolute.</summary>
    public static string Normalize(string directory)
    {
        var path = IsS3(directory) ? directory : Path.GetFullPath(directory);
        path = path.Replace('\\', '/');
        return path.EndsWith('/') ? path : path + "/";
    }

    /// <summary>Resolves one link of the path chain (data_path → schema → table → file).</summary>
    public static string Resolve(string parent, string path, bool isRelative) => isRelative ? parent + path : path;

    /// <summary>A directory name for a schema or table: the name itself when it is plain, otherwise its UUID.</summary>
    public static string DirectoryName(string name, Guid uuid) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? name + "/" : uuid + "/";

    /// <summary>The value's directory name in Hive-style partitioning: <c>key=value/</c>, both escaped.</summary>
    public static string HiveDirectory(string key, string? value) =>
        $"{Uri.EscapeDataString(key)}={(value is null ? NullPartitionValue : Uri.EscapeDataString(value))}/";

    /// <summary>The directory value of a NULL partition value.</summary>
    public const string NullPartitionValue = "__HIVE_DEFAULT_PARTITION__";

    /// <summary>Whether the path is under one of the directories (each ending in '/').</summary>
    public static bool IsUnderAny(string path, IReadOnlySet<string> directories)
    {
        for (var slash = path.IndexOf('/'); slash >= 0; slash = path.IndexOf('/', slash + 1))
            if (directories.Contains(path[..(slash + 1)])) return true;
        return false;
    }
}
