using System.CommandLine;
using Conveyor.Cli.Http;

namespace Conveyor.Cli;

/// <summary>
/// What every command shares: the output and error writers, the environment, the global options (<c>--url</c>,
/// <c>--key</c>, <c>--json</c>) and the wrapper that turns a <see cref="CliException"/> into one error line.
/// </summary>
internal sealed class CliContext(TextWriter output, TextWriter error, Func<string, string?> environment, bool interactive, TimeProvider time,
    TextReader? input = null, bool inputIsTerminal = false)
{
    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const string UrlVariable = "CONVEYOR_URL";
    public const string KeyVariable = "CONVEYOR_KEY";

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>Whether the output is a terminal, where <c>watch</c> redraws one line instead of writing one per change.</summary>
    public bool Interactive { get; } = interactive;

    public TimeProvider Time { get; } = time;

    /// <summary>Where <c>answer</c> reads a person's answers when none is given on the command line.</summary>
    public TextReader Input { get; } = input ?? TextReader.Null;

    /// <summary>Whether <see cref="Input"/> is a person at a terminal (or a script standing in for one), so <c>answer</c> may ask.</summary>
    public bool InputIsTerminal { get; } = inputIsTerminal;

    public Option<string?> UrlOption { get; } = new("--url")
    {
        Description = $"The server's base URL [default: ${UrlVariable}, else {DefaultUrl}]",
        Recursive = true,
        HelpName = "url",
    };

    public Option<string?> KeyOption { get; } = new("--key")
    {
        Description = $"The API key [default: ${KeyVariable}]",
        Recursive = true,
        HelpName = "key",
    };

    public Option<bool> JsonOption { get; } = new("--json")
    {
        Description = "Print the server's JSON instead of tables",
        Recursive = true,
    };

    /// <summary>An action that talks to the server: connects, runs, and reports a failure as one line.</summary>
    public Func<ParseResult, CancellationToken, Task<int>> Remote(Func<Invocation, Task<int>> body) =>
        Local(async (result, cancellationToken) =>
        {
            using var api = Connect(result);
            return await body(new Invocation(this, result, api, result.GetValue(JsonOption), cancellationToken));
        });

    /// <summary>An action that needs no server; a <see cref="CliException"/> becomes one line on standard error.</summary>
    public Func<ParseResult, CancellationToken, Task<int>> Local(Func<ParseResult, CancellationToken, Task<int>> body) =>
        async (result, cancellationToken) =>
        {
            try
            {
                return await body(result, cancellationToken);
            }
            catch (CliException e)
            {
                await Error.WriteLineAsync($"conveyor: {e.Message}");
                return e.ExitCode;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Error.WriteLineAsync("conveyor: interrupted");
                return ExitCodes.Interrupted;
            }
        };

    private ConveyorApi Connect(ParseResult result)
    {
        var url = result.GetValue(UrlOption) ?? NonEmpty(environment(UrlVariable)) ?? DefaultUrl;
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            throw CliException.Usage($"url: '{url}' is not an http:// or https:// URL");
        var key = result.GetValue(KeyOption) ?? NonEmpty(environment(KeyVariable));
        return new ConveyorApi(baseUrl, key, Time);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>One run of a remote command: its parsed line, the API client and the output mode.</summary>
internal sealed record Invocation(CliContext Cli, ParseResult Result, ConveyorApi Api, bool Json, CancellationToken CancellationToken)
{
    public TextWriter Out => Cli.Out;

    public T Value<T>(Option<T> option) => Result.GetValue(option)!;

    public T Value<T>(Argument<T> argument) => Result.GetValue(argument)!;

    /// <summary>Prints the server's JSON as it came, one document per line.</summary>
    public Task PrintJsonAsync(string json) => Out.WriteLineAsync(json.Trim());
}
