using Conveyor.Sqlite;
using Conveyor.StoreTests.Engine;
using Conveyor.StoreTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Conveyor.StoreTests.Sqlite;

/// <summary>
/// Eight hosts (separate <see cref="IHost"/>s, each with its own store instance) on one SQLite file run the scheduler
/// of the same per-second schedule for several seconds of real time: every tick between the first and the last fired
/// exactly once.
/// </summary>
public sealed class SqliteScheduleNodesTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int HostCount = 8;
    private const int Ticks = 6;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    private readonly string _directory = Directory.CreateTempSubdirectory("conveyor-schedules-").FullName;
    private readonly List<IHost> _hosts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Eight_hosts_on_one_file_fire_each_tick_of_a_per_second_schedule_exactly_once()
    {
        var path = Path.Combine(_directory, "shared.db");
        for (var i = 0; i < HostCount; i++)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(new Probe());
            builder.Services.AddScoped<ScopedThing>();
            builder.Services.AddConveyor(o =>
            {
                o.UseSqlite(path);
                o.WorkerId = $"node-{i}";
                o.SchedulerPollInterval = TimeSpan.FromMilliseconds(250);
                o.AddJob<EchoJob, EchoHandler>("echo");
                o.AddRecurring("every-second", "* * * * * *", "echo", new EchoJob("tick"));
            });
            _hosts.Add(builder.Build());
        }
        await Task.WhenAll(_hosts.Select(h => h.StartAsync()));

        // Count only ticks after all eight run, so that every counted tick was raced for by all of them.
        await using var reader = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        var from = (await reader.SchedulesDueAsync(new SchedulesDueParams(1), CancellationToken.None)).Now;
        using (var deadline = new CancellationTokenSource(Patience))
        {
            while ((await reader.JobsListAsync(new JobQuery { Limit = 1000, CreatedFrom = from }, CancellationToken.None)).Jobs.Count < Ticks)
            {
                // A condition wait on real time: the schedule ticks once a second.
                await Task.Delay(100, deadline.Token);
            }
        }
        foreach (var host in _hosts)
            await host.StopAsync();

        var jobs = (await reader.JobsListAsync(new JobQuery { Limit = 1000 }, CancellationToken.None)).Jobs;
        Assert.All(jobs, j => Assert.Equal("every-second", j.Schedule));
        var keys = jobs.OrderBy(j => j.Id).Select(j => j.IdempotencyKey!).ToList();
        output.WriteLine($"{keys.Count} jobs fired: {keys[0]} .. {keys[^1]}");
        ScheduleTicks.AssertEachTickOnce(keys, "every-second");
        Assert.True(keys.Count >= Ticks);
    }
}
