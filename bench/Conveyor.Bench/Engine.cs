using System.Diagnostics;
using Conveyor.Bench.Stores;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.Bench;

/// <summary>
/// The engine under test: a generic host with <c>AddConveyor</c> on one bench database, the no-op job type,
/// console logging at Warning (to stderr, so it cannot mix with the JSON lines), and the two probes.
/// </summary>
internal sealed class Engine : IAsyncDisposable
{
    private Engine(IHost host, HandlerProbe handlers, CompletionProbe completions)
    {
        Host = host;
        Handlers = handlers;
        Completions = completions;
        Client = host.Services.GetRequiredService<IJobClient>();
    }

    public IHost Host { get; }
    public IJobClient Client { get; }
    public HandlerProbe Handlers { get; }
    public CompletionProbe Completions { get; }

    public static Engine Build(IBenchDatabase database, int concurrency, bool runWorkers, Action<ConveyorOptions>? configure = null)
    {
        var handlers = new HandlerProbe();
        var completions = new CompletionProbe();
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(handlers);
        builder.Services.AddConveyor(o =>
        {
            database.Configure(o);
            // Observe committed completions without changing the store: the probe wraps whatever store was chosen.
            var inner = o.StoreFactory!;
            o.UseStore(services => new ObservedStore(inner(services), completions));
            o.RunWorkers = runWorkers;
            o.AddQueue(ConveyorOptions.DefaultQueueName, q => q.Concurrency = concurrency);
            o.AddJob<NoopJob, NoopHandler>(Workload.NoopKind);
            configure?.Invoke(o);
        });
        return new Engine(builder.Build(), handlers, completions);
    }

    /// <summary>Makes the client create and migrate the store now, so that no timed call pays for it.</summary>
    public async Task WarmStoreAsync(CancellationToken cancellationToken) => await Client.GetAsync(0, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        if (Host is IAsyncDisposable asyncHost)
            await asyncHost.DisposeAsync();
        else
            Host.Dispose();
    }
}

/// <summary>The no-op handler: tells the probe it started, then returns.</summary>
internal sealed class NoopHandler(HandlerProbe probe) : IJobHandler<NoopJob>
{
    public Task HandleAsync(JobContext<NoopJob> job, CancellationToken cancellationToken)
    {
        probe.Started();
        return Task.CompletedTask;
    }
}

/// <summary>Counts handler starts; stamps the start of the one a latency sample waits for.</summary>
internal sealed class HandlerProbe
{
    private int _started;
    private TaskCompletionSource<long>? _next;

    public int Count => Volatile.Read(ref _started);

    /// <summary>Called with the Stopwatch timestamp of every handler start (a worker process reports them to its parent).</summary>
    public Action<long>? OnStarted { get; set; }

    /// <summary>The Stopwatch timestamp at which the next handler starts.</summary>
    public Task<long> NextStartAsync()
    {
        var next = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _next, next);
        return next.Task;
    }

    public void Started()
    {
        var at = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _started);
        OnStarted?.Invoke(at);
        Interlocked.Exchange(ref _next, null)?.TrySetResult(at);
    }
}

/// <summary>Counts completions the store committed and applied, and says when a total is reached.</summary>
internal sealed class CompletionProbe
{
    private long _applied;
    private long _target = long.MaxValue;
    private TaskCompletionSource<long>? _reached;

    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Claim calls and the jobs they returned; complete calls (for <c>--verbose</c>).</summary>
    public long ClaimCalls, Claimed, CompleteCalls;

    /// <summary>Called with the new total and the Stopwatch timestamp after every commit of completions (a worker process reports them to its parent).</summary>
    public Action<long, long>? OnApplied { get; set; }

    public void Add(int applied)
    {
        if (applied == 0)
            return;
        var at = Stopwatch.GetTimestamp();
        var total = Interlocked.Add(ref _applied, applied);
        OnApplied?.Invoke(total, at);
        if (total >= Interlocked.Read(ref _target))
            Volatile.Read(ref _reached)?.TrySetResult(at);
    }

    /// <summary>Completes with the Stopwatch timestamp at which <paramref name="total"/> applied completions had committed.</summary>
    public Task<long> WaitForAsync(long total)
    {
        var reached = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _reached, reached);
        Interlocked.Exchange(ref _target, total);
        if (Applied >= total)
            reached.TrySetResult(Stopwatch.GetTimestamp());
        return reached.Task;
    }
}
