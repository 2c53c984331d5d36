using Conveyor.StoreTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conveyor.StoreTests.Engine;

/// <summary>
/// Runs the whole engine (client, worker host, store) in a real generic host against one store kind.
/// Waits are for conditions (a handler's signal, a job's state), each bounded so a broken engine fails the
/// test instead of hanging it.
/// </summary>
public abstract class EngineTestBase<TFactory> : IAsyncLifetime
    where TFactory : IStoreFactory, new()
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly List<IHost> _hosts = [];

    protected TFactory Factory { get; } = new();

    protected Probe Probe { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            try
            {
                await host.StopAsync(CancellationToken.None);
            }
            catch (ArgumentNullException)
            {
                // The host never started (its options were invalid); there is nothing to stop.
            }
            host.Dispose();
        }
        await Factory.DisposeAsync();
    }

    /// <summary>
    /// Builds a host with fast timings and the test handlers; <paramref name="location"/> names its data. Given
    /// <paramref name="time"/> (a fake clock), the whole engine and its store keep time with it.
    /// </summary>
    protected IHost BuildHost(Action<ConveyorOptions>? configure, out string location, string? existingLocation = null, TimeProvider? time = null)
    {
        var where = existingLocation ?? Factory.NewLocation();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (time is not null)
            builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(Probe);
        builder.Services.AddScoped<ScopedThing>();
        builder.Services.AddConveyor(o =>
        {
            Factory.UseStore(o, where);
            o.PollInterval = TimeSpan.FromMilliseconds(200);
            o.ReaperInterval = TimeSpan.FromMilliseconds(200);
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
            o.LeaseDuration = TimeSpan.FromSeconds(5);
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            o.DefaultRetry.BaseDelay = TimeSpan.Zero;
            o.AddJob<EchoJob, EchoHandler>("echo");
            o.AddJob<FlakyJob, FlakyHandler>("flaky");
            o.AddJob<PermanentJob, PermanentHandler>("permanent");
            o.AddJob<BlockingJob, BlockingHandler>("blocking");
            o.AddJob<SlowJob, SlowHandler>("slow", j => j.Timeout = TimeSpan.FromMilliseconds(300));
            configure?.Invoke(o);
        });
        var host = builder.Build();
        _hosts.Add(host);
        location = where;
        return host;
    }

    protected async Task<IHost> StartHostAsync(Action<ConveyorOptions>? configure = null)
    {
        var host = BuildHost(configure, out _);
        await host.StartAsync();
        return host;
    }

    protected static IJobClient Client(IHost host) => host.Services.GetRequiredService<IJobClient>();

    /// <summary>Waits until the job reaches one of <paramref name="states"/>; fails after <see cref="Patience"/>.</summary>
    protected static async Task<JobInfo> WaitForAsync(IJobClient client, long jobId, params JobState[] states)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            var job = await client.GetAsync(jobId);
            if (job is not null && states.Contains(job.State))
                return job;
            if (deadline.IsCancellationRequested)
                throw new Xunit.Sdk.XunitException($"Job {jobId} is {job?.State.ToWireName() ?? "missing"}, not {string.Join("/", states.Select(s => s.ToWireName()))}, after {Patience}.");
            // A condition wait: re-read the store until the engine has moved the job on.
            await Task.Delay(10);
        }
    }

    protected static async Task<List<JobEventKind>> HistoryAsync(IJobClient client, long jobId) =>
        (await client.GetHistoryAsync(jobId)).Select(e => e.Kind).ToList();
}
