using System.Reflection;

namespace Auraison.DataPlane.WebConsole;

/// <summary>
/// The web console at <c>/console</c>: static pages compiled into the service (no build step, no files to deploy),
/// which call the same API with the key the user signs in with.
/// </summary>
public static class ConsoleApi
{
    private const string ResourcePrefix = "Auraison.DataPlane.WebConsole.wwwroot.";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8", [".js"] = "text/javascript; charset=utf-8", [".css"] = "text/css; charset=utf-8",
    };

    public static RouteGroupBuilder MapConsole(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/console").ExcludeFromDescription();
        group.MapGet("/{file?}", Asset);
        return group;
    }

    private static IResult Asset(string? file)
    {
        var name = string.IsNullOrEmpty(file) ? "index.html" : file;
        var stream = ContentTypes.TryGetValue(Path.GetExtension(name), out _) && !name.Contains('/')
            ? Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourcePrefix + name)
            : null;
        return stream is null ? TypedResults.NotFound() : TypedResults.Stream(stream, ContentTypes[Path.GetExtension(name)]);
    }
}
