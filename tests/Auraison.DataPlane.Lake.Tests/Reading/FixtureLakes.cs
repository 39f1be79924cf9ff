namespace Auraison.DataPlane.Lake.Tests.Reading;

/// <summary>The lakes the stock DuckDB + ducklake extension wrote, in this project's Fixtures folder (copied beside the tests).</summary>
internal static class FixtureLakes
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static IEnumerable<string> Names => System.IO.Directory.GetDirectories(Directory).Select(Path.GetFileName).OfType<string>().Order();

    /// <summary>A private copy of a fixture lake, so that opening it never changes the repository's files.</summary>
    public static string CopyTo(string name, string target)
    {
        var source = Path.Combine(Directory, name);
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
            File.SetAttributes(destination, FileAttributes.Normal);
        }
        return target;
    }
}
