namespace Auraison.DataPlane.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args) => LakehouseCommand.RunAsync(args, Console.Out, Console.Error);
}
