using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace Conveyor.Bench;

/// <summary>
/// The parent's handle on one worker process (<see cref="WorkerRole"/>): starts this same program with
/// <c>--role worker</c>, reads its report lines, passes its stderr on with a prefix, and stops it by closing its
/// standard input (killing it if it has not exited 30 s later).
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(long At, long Total)> _applied = [];
    private readonly Channel<long> _starts = Channel.CreateUnbounded<long>();
    private readonly Task _reading;
    private readonly Task _forwarding;

    private WorkerProcess(Process process)
    {
        _process = process;
        _reading = Task.Run(ReadAsync);
        _forwarding = Task.Run(ForwardErrorsAsync);
    }

    public int Id => _process.Id;

    /// <summary>Faults when the process's output ends: it exited (or crashed) while the parent still counts on it.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Completions this process has committed so far.</summary>
    public long Applied
    {
        get
        {
            lock (_applied)
                return _applied.Count == 0 ? 0 : _applied[^1].Total;
        }
    }

    /// <summary>Stopwatch timestamps of handler starts, in order.</summary>
    public ChannelReader<long> Starts => _starts.Reader;

    /// <summary>Raised (on the reading thread) after every report of committed completions.</summary>
    public event Action? AppliedChanged;

    /// <summary>The reports of committed completions so far: (timestamp, running total).</summary>
    public List<(long At, long Total)> AppliedReports()
    {
        lock (_applied)
            return [.. _applied];
    }

    /// <summary>Starts a worker process with <paramref name="workers"/> slots on the schema and waits until its host has started.</summary>
    public static async Task<WorkerProcess> StartAsync(string connectionString, string schema, int workers, CancellationToken cancellationToken)
    {
        var path = Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark cannot find its own executable.");
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Run as `dotnet Conveyor.Bench.dll`: the program is the argument.
        if (Path.GetFileNameWithoutExtension(path) == "dotnet")
            start.ArgumentList.Add(typeof(WorkerProcess).Assembly.Location);
        foreach (var a in new[] { "--role", "worker", "--pg", connectionString, "--schema", schema, "--workers", workers.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start a worker process.");
        var worker = new WorkerProcess(process);
        try
        {
            await worker._ready.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            return worker;
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == WorkerRole.ReadyLine)
            {
                _ready.TrySetResult();
            }
            else if (line.StartsWith("a ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                lock (_applied)
                    _applied.Add((long.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture)));
                AppliedChanged?.Invoke();
            }
            else if (line.StartsWith("s ", StringComparison.Ordinal))
            {
                _starts.Writer.TryWrite(long.Parse(line.AsSpan(2), CultureInfo.InvariantCulture));
            }
        }
        var ended = new InvalidOperationException($"Worker process {_process.Id} ended (see its stderr above).");
        _ready.TrySetException(ended);
        _ended.TrySetException(ended);
        _starts.Writer.TryComplete();
    }

    private async Task ForwardErrorsAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
            await Console.Error.WriteLineAsync($"[worker {_process.Id}] {line}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        await Task.WhenAll(_reading, _forwarding);
        _process.Dispose();
    }
}

/// <summary>Several worker processes on one schema, counted together.</summary>
internal sealed class WorkerGroup : IAsyncDisposable
{
    private readonly List<WorkerProcess> _processes;

    private WorkerGroup(List<WorkerProcess> processes) => _processes = processes;

    public IReadOnlyList<WorkerProcess> Processes => _processes;

    public static async Task<WorkerGroup> StartAsync(string connectionString, string schema, int processes, int workers, CancellationToken cancellationToken)
    {
        var started = new List<WorkerProcess>();
        try
        {
            // One at a time: they would only compete for the two cores while the runtime starts.
            for (var i = 0; i < processes; i++)
                started.Add(await WorkerProcess.StartAsync(connectionString, schema, workers, cancellationToken));
            return new WorkerGroup(started);
        }
        catch
        {
            foreach (var p in started)
                await p.DisposeAsync();
            throw;
        }
    }

    /// <summary>Each process's count of committed completions now: the base of a round.</summary>
    public long[] Mark() => _processes.Select(p => p.Applied).ToArray();

    /// <summary>
    /// Waits until the processes together have committed <paramref name="jobs"/> completions since
    /// <paramref name="mark"/>, and returns the Stopwatch timestamp at which the total was reached: the reports of
    /// all processes merged in timestamp order (lines from different processes may arrive out of order).
    /// </summary>
    public async Task<long> WaitForAsync(long[] mark, long jobs, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (_processes.Select((p, i) => p.Applied - mark[i]).Sum() >= jobs)
                reached.TrySetResult();
        }
        foreach (var p in _processes)
            p.AppliedChanged += Check;
        try
        {
            Check();
            // A process that dies fails the wait at once rather than at the timeout.
            var first = await Task.WhenAny([reached.Task, .. _processes.Select(p => p.Ended)]).WaitAsync(timeout, cancellationToken);
            await first;
        }
        finally
        {
            foreach (var p in _processes)
                p.AppliedChanged -= Check;
        }
        // Reports written before the one that completed the count may still be in another process's pipe.
        await Task.Delay(50, cancellationToken);
        var deltas = new List<(long At, long Count)>();
        for (var i = 0; i < _processes.Count; i++)
        {
            var previous = mark[i];
            foreach (var (at, total) in _processes[i].AppliedReports().Where(r => r.Total > mark[i]))
            {
                deltas.Add((at, total - previous));
                previous = total;
            }
        }
        long sum = 0;
        foreach (var (at, count) in deltas.OrderBy(d => d.At))
        {
            sum += count;
            if (sum >= jobs)
                return at;
        }
        throw new InvalidOperationException("The worker processes' reports do not add up.");
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_processes.Select(p => p.DisposeAsync().AsTask()));
    }
}
