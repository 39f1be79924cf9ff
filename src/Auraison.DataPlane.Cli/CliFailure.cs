namespace Auraison.DataPlane.Cli;

/// <summary>Exit codes a script can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The service answered with an error (its problem details are printed).</summary>
    public const int Refused = 1;

    /// <summary>The command line itself is wrong (System.CommandLine's own parse errors use this too).</summary>
    public const int Usage = 2;

    /// <summary>The service could not be reached, or kept answering 503 after the retries.</summary>
    public const int Unavailable = 3;
}

/// <summary>A command that cannot go on: what to print and which exit code to leave with.</summary>
public sealed class CliFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
