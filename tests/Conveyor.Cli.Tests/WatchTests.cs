using System.Globalization;

namespace Conveyor.Cli.Tests;

public sealed class WatchTests(CliServer server) : IClassFixture<CliServer>
{
    private static string S(long id) => id.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Watch_follows_a_multi_phase_job_live_and_exits_zero_when_it_succeeds()
    {
        var gate = Guid.NewGuid().ToString("N");
        var id = await server.EnqueueAsync("test.phases", $$"""{"gate":"{{gate}}"}""");
        var output = new SynchronizedWriter();
        var watching = CliServer.Run(["watch", S(id), "--url", server.Url, "--key", server.AdminKey], output: output);

        // The first phase shows while the job still runs; then the gate lets it finish.
        await output.WaitForAsync("fetch · reading input");
        Assert.False(watching.IsCompleted);
        Gates.Open(gate);
        var result = await watching.WaitAsync(TimeSpan.FromSeconds(30));

        result.AssertSuccess();
        var lines = result.OutLines;
        Assert.Equal($"job {S(id)}  [........................]   0%  running  fetch · reading input", lines.First(l => l.Contains("fetch", StringComparison.Ordinal)));
        Assert.Equal($"job {S(id)}  [##########..............]  40%  running  transform · 2 of 5 batches", lines.Single(l => l.Contains("transform", StringComparison.Ordinal)));
        Assert.Equal($"job {S(id)}  [###################.....]  80%  running  load · writing output", lines.Single(l => l.Contains("80%", StringComparison.Ordinal)));
        Assert.Equal($"job {S(id)}  [########################] 100%  succeeded  load · writing output", lines[^2]);
        Assert.Matches($@"^job {S(id)} succeeded after 1 attempt in ", lines[^1]);
        // Phases in order.
        Assert.True(Array.FindIndex(lines, l => l.Contains("fetch", StringComparison.Ordinal)) < Array.FindIndex(lines, l => l.Contains("transform", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Watch_of_a_finished_job_replays_it_and_exits_one_when_it_failed()
    {
        var id = await server.EnqueueAsync("test.doomed", """{"why":"bad input"}""", "--queue", "dlq");
        await server.WaitForStateAsync(id, "failed");
        var result = await server.RunAsync("watch", S(id));
        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.Contains("failed  bad input", result.OutLines[^2]);
        Assert.Equal($"job {S(id)} failed after 1 attempt: bad input", result.OutLines[^1]);
    }

    [Fact]
    public async Task Watch_json_prints_each_event_then_the_job()
    {
        var id = await server.EnqueueAsync("test.phases", """{"gate":null}""");
        var result = (await server.RunAsync("watch", S(id), "--json")).AssertSuccess();
        var kinds = result.OutLines[..^1].Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["enqueued", "started", "progress", "progress", "progress", "succeeded"], kinds);
        Assert.Contains("\"state\":\"succeeded\"", result.OutLines[^1]);
    }

    [Fact]
    public async Task Watch_of_an_unknown_job_is_not_found()
    {
        (await server.RunAsync("watch", "424242")).AssertError(ExitCodes.NotFound, "conveyor: job 424242 was not found (404)");
    }

    [Fact]
    public async Task Ctrl_c_interrupts_a_watch()
    {
        var gate = Guid.NewGuid().ToString("N");
        var id = await server.EnqueueAsync("test.hold", $$"""{"gate":"{{gate}}"}""");
        using var interrupt = new CancellationTokenSource();
        var output = new SynchronizedWriter();
        var watching = CliServer.Run(["watch", S(id), "--url", server.Url, "--key", server.AdminKey], cancellationToken: interrupt.Token, output: output);
        await output.WaitForAsync("holding");
        await interrupt.CancelAsync();
        var result = await watching.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ExitCodes.Interrupted, result.ExitCode);
        Assert.Equal("conveyor: interrupted", result.Error.Trim());
        Gates.Open(gate);
    }
}

/// <summary>A thread-safe writer a test can wait on until some text appears.</summary>
public sealed class SynchronizedWriter : StringWriter
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Write(char value)
    {
        lock (_gate)
            base.Write(value);
        Signal();
    }

    public override void Write(string? value)
    {
        lock (_gate)
            base.Write(value);
        Signal();
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync(string? value)
    {
        Write(value + NewLine);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync()
    {
        Write(NewLine);
        return Task.CompletedTask;
    }

    public override string ToString()
    {
        lock (_gate)
            return base.ToString();
    }

    /// <summary>Waits until the text appears; fails after 30 s.</summary>
    public async Task WaitForAsync(string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            Task changed;
            lock (_gate)
                changed = _changed.Task;
            if (ToString().Contains(text, StringComparison.Ordinal))
                return;
            await changed.WaitAsync(timeout.Token);
        }
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        previous.TrySetResult();
    }
}
