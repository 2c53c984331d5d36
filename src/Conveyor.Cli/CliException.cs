namespace Conveyor.Cli;

/// <summary>Ends a command with one line on standard error (after <c>conveyor: </c>) and an exit code.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);
}
