using System.Globalization;
using System.Threading.Channels;
using Conveyor.Bench.Stores;

namespace Conveyor.Bench;

/// <summary>
/// The worker process (<c>--role worker</c>): the benchmark launches itself in this mode for the multi-process
/// workloads. It runs the engine's workers (default queue, <c>--workers</c> slots) on the parent's schema and
/// reports on stdout, one line each, with Stopwatch timestamps (CLOCK_MONOTONIC on Linux, the same clock in every
/// process of the machine):
/// <c>ready</c> once the host has started; <c>a TOTAL TIMESTAMP</c> after every commit of completions (TOTAL is
/// this process's running count); <c>s TIMESTAMP</c> when a handler starts. It stops gracefully when its standard
/// input closes, so it also ends when the parent dies.
/// </summary>
internal static class WorkerRole
{
    public const string ReadyLine = "ready";

    public static async Task<int> RunAsync(WorkerArgs args)
    {
        var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        var writer = Task.Run(async () =>
        {
            var stdout = Console.Out;
            await foreach (var line in lines.Reader.ReadAllAsync())
            {
                await stdout.WriteLineAsync(line);
                if (!lines.Reader.TryPeek(out _))
                    await stdout.FlushAsync();
            }
            await stdout.FlushAsync();
        });

        await using (var database = new PostgresBenchDatabase(args.ConnectionString, args.Schema, owned: false))
        {
            await using var engine = Engine.Build(database, args.Workers, runWorkers: true);
            engine.Completions.OnApplied = (total, at) => lines.Writer.TryWrite(string.Create(CultureInfo.InvariantCulture, $"a {total} {at}"));
            engine.Handlers.OnStarted = at => lines.Writer.TryWrite(string.Create(CultureInfo.InvariantCulture, $"s {at}"));
            await engine.Host.StartAsync();
            lines.Writer.TryWrite(ReadyLine);
            // Standard input carries nothing; its end is the signal to stop.
            while (await Console.In.ReadLineAsync() is not null)
            {
            }
        }
        lines.Writer.Complete();
        await writer;
        return 0;
    }
}

/// <summary>What a worker process needs: the connection string, the schema, and its slots.</summary>
internal sealed record WorkerArgs(string ConnectionString, string Schema, int Workers);
