using System.CommandLine;
using System.CommandLine.Help;
using Conveyor.Cli.Commands;

namespace Conveyor.Cli;

/// <summary>
/// The <c>conveyor</c> command line: <c>serve</c>, <c>migrate</c>, <c>store copy</c>, <c>keys</c>, <c>enqueue</c>, <c>status</c>,
/// <c>watch</c>, <c>ls</c>, <c>cancel</c>, <c>retry</c>, <c>dlq</c>, <c>queues</c>, <c>stats</c>, <c>inbox</c> and
/// <c>answer</c>. Every command but <c>serve</c>, <c>migrate</c> and <c>store copy</c> talks to a server over its HTTP API. See
/// <c>docs/cli.md</c>.
/// </summary>
public static class ConveyorCli
{
    /// <summary>Runs one command line and returns its exit code (<see cref="ExitCodes"/>).</summary>
    /// <param name="args">The arguments after the command's name.</param>
    /// <param name="output">Where results go (standard output).</param>
    /// <param name="error">Where the one line of an error goes (standard error).</param>
    /// <param name="environment">Reads an environment variable (<c>CONVEYOR_URL</c>, <c>CONVEYOR_KEY</c>); default the process's.</param>
    /// <param name="input">
    /// Where <c>answer</c> reads answers when none is given on the command line; default standard input, asked only
    /// when it is a terminal. A reader passed here is treated as a terminal (a script of answers).
    /// </param>
    /// <param name="cancellationToken">Interrupts the command (Ctrl+C); it then ends with <see cref="ExitCodes.Interrupted"/>.</param>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error,
        Func<string, string?>? environment = null, TextReader? input = null, CancellationToken cancellationToken = default) =>
        RunAsync(args, output, error, environment, input ?? Console.In, input is not null || !Console.IsInputRedirected, cancellationToken);

    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error,
        Func<string, string?>? environment, TextReader input, bool inputIsTerminal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var cli = new CliContext(output, error, environment ?? Environment.GetEnvironmentVariable, interactive, TimeProvider.System, input, inputIsTerminal);
        var root = Build(cli);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // The most specific error: an unknown word explains a missing command better than "required command was not provided".
            var first = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
            await error.WriteLineAsync($"conveyor: {ApiErrorsText(first.Message)} (see 'conveyor --help')");
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,   // the caller owns Ctrl+C: it cancels cancellationToken
        }, cancellationToken);
    }

    internal static Command Build(CliContext cli)
    {
        // Not a RootCommand: that is named after the executable's file (Conveyor.Cli), and help would say so.
        var root = new Command("conveyor", "Conveyor: run the server, and submit, follow and manage jobs over its HTTP API.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(ServeCommand.Create(cli));
        root.Subcommands.Add(MigrateCommand.Create(cli));
        root.Subcommands.Add(StoreCommands.Create(cli));
        root.Subcommands.Add(KeysCommands.Create(cli));
        root.Subcommands.Add(EnqueueCommand.Create(cli));
        foreach (var command in JobCommands.Create(cli))
            root.Subcommands.Add(command);
        root.Subcommands.Add(WatchCommand.Create(cli));
        root.Subcommands.Add(DlqCommands.Create(cli));
        root.Subcommands.Add(QueuesCommands.Create(cli));
        root.Subcommands.Add(SchedulesCommands.Create(cli));
        root.Subcommands.Add(LimitsCommands.Create(cli));
        root.Subcommands.Add(StatsCommand.Create(cli));
        foreach (var command in InteractionCommands.Create(cli))
            root.Subcommands.Add(command);
        // The server's URL, the key and --json belong to the commands that talk to a server (and their subcommands,
        // the options being recursive); serve and migrate open the store themselves.
        foreach (var command in root.Subcommands.Where(c => c.Name is not ("serve" or "migrate")))
        {
            command.Options.Add(cli.UrlOption);
            command.Options.Add(cli.KeyOption);
            command.Options.Add(cli.JsonOption);
        }
        return root;
    }

    // System.CommandLine's messages may span lines and indent with tabs ("Must be one of:\n\t'admin'..."): one line here.
    private static string ApiErrorsText(string message) =>
        Http.ApiErrors.Sentence(string.Join(' ', message.Split([' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries)));
}
