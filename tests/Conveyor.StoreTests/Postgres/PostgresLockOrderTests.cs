using Conveyor.StoreTests.Infrastructure;

namespace Conveyor.StoreTests.Postgres;

/// <summary>
/// Heartbeats and completion batches lock their jobs' rows in the order of their arrays, which the store sorts by id
/// (the statements have no separate locking step): callers that share jobs and pass them in any order must never
/// deadlock. PostgreSQL would break a deadlock after deadlock_timeout (1 s) and the store would retry, so the test
/// counts the store's retries instead of failures.
/// </summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresLockOrderTests : PostgresStoreTestBase
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Heartbeats_and_completions_sharing_jobs_in_shuffled_orders_never_deadlock()
    {
        await Store.JobsInsertAsync(new JobsInsertParams([.. Enumerable.Range(0, 100).Select(i => new NewJob { Kind = "k", Queue = "default", Payload = $"{i}", MaxAttempts = 3, Principal = JobPrincipal.System })]), CancellationToken.None);
        var claimed = await Store.JobsClaimAsync(new JobsClaimParams("default", 100, "w", Lease), CancellationToken.None);
        var leases = claimed.Select(c => new JobLease(c.Id, c.LeaseToken)).ToList();
        Assert.Equal(100, leases.Count);

        // Four callers renew all leases at once, 20 times each, every time in another order.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(seed => Task.Run(async () =>
        {
            var random = new Random(seed);
            for (var round = 0; round < 20; round++)
                await Store.JobsHeartbeatAsync(new JobsHeartbeatParams([.. leases.OrderBy(_ => random.Next())], Lease), CancellationToken.None);
        })));
        // Then two completion batches of all 100 jobs, in two orders, race each other and two more heartbeats.
        var completions = Enumerable.Range(0, 2).Select(seed => Task.Run(async () =>
        {
            var random = new Random(100 + seed);
            IReadOnlyList<JobCompletion> batch = [.. leases.OrderBy(_ => random.Next()).Select(l => new JobCompletion { Lease = l, Outcome = JobOutcome.Succeeded, Actor = "w" })];
            return await Store.JobsCompleteAsync(new JobsCompleteParams(batch), CancellationToken.None);
        })).ToList();
        var beats = Enumerable.Range(0, 2).Select(seed => Task.Run(async () =>
        {
            var random = new Random(200 + seed);
            await Store.JobsHeartbeatAsync(new JobsHeartbeatParams([.. leases.OrderBy(_ => random.Next())], Lease), CancellationToken.None);
        }));
        await Task.WhenAll(beats);
        var applied = await Task.WhenAll(completions);

        Assert.Equal(0, Store.DeadlocksRetried);
        // The fence applied each completion once: the two batches split the jobs between them.
        Assert.Equal(leases.Select(l => l.JobId).Order(), applied.SelectMany(a => a).Order());
    }
}
