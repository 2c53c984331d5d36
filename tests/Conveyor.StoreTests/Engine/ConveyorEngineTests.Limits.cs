using System.Collections.Concurrent;

namespace Conveyor.StoreTests.Engine;

public sealed record AccountJob(string Account, int N);

/// <summary>Counts its account's handlers running at once (in <see cref="Probe.Counts"/>, "max:account") and yields a while.</summary>
public sealed class AccountHandler(Probe probe) : IJobHandler<AccountJob>
{
    private static readonly ConcurrentDictionary<(Probe, string), int> Running = new();

    public async Task HandleAsync(JobContext<AccountJob> job, CancellationToken cancellationToken)
    {
        // Counted after the claim committed and until before the completion commits: never above the store's count.
        var key = (probe, job.Payload.Account);
        var now = Running.AddOrUpdate(key, 1, (_, n) => n + 1);
        probe.Counts.AddOrUpdate($"max:{job.Payload.Account}", now, (_, m) => Math.Max(m, now));
        probe.Count($"ran:{job.JobId}");
        try
        {
            // A little work, so that jobs of one account overlap when nothing stops them.
            await Task.Delay(5, cancellationToken);
        }
        finally
        {
            Running.AddOrUpdate(key, 0, (_, n) => n - 1);
        }
    }
}

public abstract partial class ConveyorEngineTests<TFactory>
{
    [Fact]
    public async Task Sixteen_workers_on_two_nodes_never_run_more_than_a_limit_allows_per_payload_partition()
    {
        const int accounts = 10, perAccount = 30;
        void Configure(ConveyorOptions o)
        {
            o.AddQueue(ConveyorOptions.DefaultQueueName, q => q.Concurrency = 8);
            o.AddJob<AccountJob, AccountHandler>("account");
            o.AddLimit("per-account", l =>
            {
                l.ForJobType("account");
                l.MaxRunning = 2;
                l.PartitionByPayload("account");
            });
        }
        var first = BuildHost(Configure, out var location);
        var second = BuildHost(Configure, out _, existingLocation: location);
        await Task.WhenAll(first.StartAsync(), second.StartAsync());

        // One account's jobs in a row ahead of the next one's: throttled jobs must not hold up the others.
        var ids = (await Client(first).EnqueueManyAsync(Enumerable.Range(0, accounts * perAccount).Select(i => new AccountJob($"acct-{i / perAccount}", i))))
            .Select(r => r.JobId).ToList();
        foreach (var id in ids)
            await WaitForAsync(Client(second), id, JobState.Succeeded);

        Assert.All(ids, id => Assert.Equal(1, Probe.CountOf($"ran:{id}")));
        var highest = Enumerable.Range(0, accounts).Select(a => Probe.CountOf($"max:acct-{a}")).ToList();
        Assert.All(highest, h => Assert.InRange(h, 1, 2));
        Assert.Contains(2, highest);
        var limit = Assert.Single(await Client(first).ListLimitsAsync());
        Assert.Equal(("per-account", 0L), (limit.Name, limit.Waiting));
    }

    [Fact]
    public async Task A_limit_partitioned_by_payload_refuses_a_payload_without_the_property_and_inserts_nothing()
    {
        var host = await StartHostAsync(o =>
        {
            o.AddJob<AccountJob, AccountHandler>("account");
            o.AddLimit("per-account", l =>
            {
                l.ForJobType("account");
                l.MaxRunning = 2;
                l.PartitionByPayload("customer");
            });
        });

        var refused = await Assert.ThrowsAsync<JobValidationException>(() => Client(host).EnqueueAsync(new AccountJob("a", 1)));

        Assert.Equal("payload.customer", refused.Field);
        Assert.Contains("limit 'per-account'", refused.Reason, StringComparison.Ordinal);
        Assert.Empty((await Client(host).ListAsync(new JobQuery())).Jobs);
    }
}
