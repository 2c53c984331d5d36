using System.Net.Sockets;
using System.Text.Json;

namespace Conveyor.Cli.Http;

/// <summary>Turns the server's problem answers and connection failures into one line and an exit code.</summary>
internal static class ApiErrors
{
    /// <summary>The error for an unsuccessful answer: its status, reason phrase and body (a problem, usually), what the request
    /// named ("job 42", so a 404 says it was not found), and whether a key was sent (a 401 says which mistake it was).</summary>
    public static CliException FromAnswer(int status, string? reasonPhrase, string body, string? subject, bool hadKey)
    {
        var problem = TryReadProblem(body);
        var detail = Sentence(problem?.Detail ?? problem?.Title ?? reasonPhrase ?? "no detail");
        return status switch
        {
            401 => new CliException(ExitCodes.Unauthorized, hadKey
                ? "the API key was refused (401): it is unknown, malformed or revoked"
                : "no API key (401): pass --key or set CONVEYOR_KEY"),
            403 => new CliException(ExitCodes.Unauthorized, $"not allowed: {detail} (403)"),
            404 => new CliException(ExitCodes.NotFound, subject is null ? $"{detail} (404)" : $"{subject} was not found (404)"),
            400 or 413 or 415 or 422 => new CliException(ExitCodes.Usage,
                problem is { Field: { } field, Reason: { } reason } ? $"{field}: {Sentence(reason)} ({status})" : $"{detail} ({status})"),
            _ when problem is null && status >= 500 => new CliException(ExitCodes.Failure, $"the server failed: {status} {reasonPhrase}"),
            _ => new CliException(ExitCodes.Failure, $"{detail} ({status})"),
        };
    }

    /// <summary>The error when the server could not be reached, or null when <paramref name="e"/> is not about that.</summary>
    public static CliException? Unreachable(Uri server, Exception e)
    {
        var where = server.GetLeftPart(UriPartial.Authority);
        return e switch
        {
            OperationCanceledException => new CliException(ExitCodes.Unreachable, $"cannot reach {where} (no answer within 30 s)"),
            HttpRequestException { InnerException: SocketException socket } => new CliException(ExitCodes.Unreachable, $"cannot reach {where} ({Describe(socket.SocketErrorCode)})"),
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => new CliException(ExitCodes.Unreachable, $"cannot reach {where} (host not found)"),
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => new CliException(ExitCodes.Unreachable, $"cannot reach {where} (TLS handshake failed)"),
            HttpRequestException http => new CliException(ExitCodes.Unreachable, $"cannot reach {where} ({Sentence(http.Message)})"),
            _ => null,
        };
    }

    private static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
        SocketError.TimedOut => "timed out",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "no route to the host",
        SocketError.ConnectionReset => "connection reset",
        _ => error.ToString(),
    };

    private static ProblemModel? TryReadProblem(string body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{')
            return null;
        try
        {
            return JsonSerializer.Deserialize<ProblemModel>(body, ApiJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A server sentence as part of a CLI line: "Job 5 is running." becomes "job 5 is running"; a first word that
    /// is a name ("SqliteJobStore", "API") keeps its case.</summary>
    internal static string Sentence(string text)
    {
        var s = text.Trim().TrimEnd('.');
        var firstWord = s.Split(' ', 2)[0];
        return firstWord.Length > 0 && char.IsUpper(firstWord[0]) && firstWord.Skip(1).All(char.IsLower) ? char.ToLowerInvariant(s[0]) + s[1..] : s;
    }
}
