namespace Conveyor.Cli;

/// <summary>The exit codes of the <c>conveyor</c> command; <c>docs/cli.md</c> lists them too.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked; a followed job succeeded.</summary>
    public const int Success = 0;

    /// <summary>
    /// The command failed: a followed job failed or was cancelled, or the server refused the operation (a conflict,
    /// a full queue, a server error).
    /// </summary>
    public const int Failure = 1;

    /// <summary>The command line or its input is wrong: an unknown option, a bad value, an unreadable or invalid payload, a request the server rejected as invalid.</summary>
    public const int Usage = 2;

    /// <summary>What the command names (a job, a queue, a key) does not exist or is not visible to the key.</summary>
    public const int NotFound = 3;

    /// <summary>No API key, an unknown or revoked one, or one whose roles do not allow the command.</summary>
    public const int Unauthorized = 4;

    /// <summary>The server (or, for <c>migrate</c>, the database) could not be reached.</summary>
    public const int Unreachable = 5;

    /// <summary>The command was interrupted (Ctrl+C) before it finished.</summary>
    public const int Interrupted = 130;
}
