namespace Conveyor.Cli;

/// <summary>The <c>conveyor</c> executable: runs <see cref="ConveyorCli"/> on the process's arguments and console.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        // Ctrl+C asks the running command to stop; a second Ctrl+C ends the process.
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (interrupt.IsCancellationRequested)
                return;
            e.Cancel = true;
            interrupt.Cancel();
        };
        return await ConveyorCli.RunAsync(args, Console.Out, Console.Error, cancellationToken: interrupt.Token);
    }
}
