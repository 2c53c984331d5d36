namespace Conveyor.StoreTests.Conformance;

/// <summary>Unique jobs by period (contract section 7): a blocking job of the same tenant and unique key is returned instead of a new one.</summary>
public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static readonly TimeSpan UniqueWindow = TimeSpan.FromMinutes(5);

    private static NewJob UniqueJob(string key = "sync:acct-1", string payload = """{"accountId":1}""", JobPrincipal? principal = null, TimeSpan? period = null, string? idempotencyKey = null) =>
        Job(kind: "sync", payload: payload, principal: principal, idempotencyKey: idempotencyKey) with { UniqueKey = key, UniquePeriod = period ?? UniqueWindow };

    private async Task<JobInsertResult> InsertOneAsync(NewJob job, IJobStore? store = null) =>
        Assert.Single(await (store ?? Store).JobsInsertAsync(new JobsInsertParams([job]), CancellationToken.None));

    [Fact]
    public async Task Unique_duplicate_within_the_period_returns_the_existing_job_and_stores_nothing_new()
    {
        var first = await InsertOneAsync(UniqueJob());
        Time.Advance(UniqueWindow - TimeSpan.FromSeconds(1));

        var again = await InsertOneAsync(UniqueJob(payload: """{"accountId":1,"force":true}"""));

        Assert.Equal((first.JobId, JobState.Pending, true), (again.JobId, again.State, again.Existing));
        Assert.Equal(1, await CountJobsAsync());
        Assert.Equal([JobEventKind.Enqueued], await HistoryAsync(first.JobId));
        Assert.Equal("""{"accountId":1}""", (await GetAsync(first.JobId)).Payload);
    }

    [Fact]
    public async Task Unique_duplicate_reports_the_existing_jobs_current_state_including_succeeded()
    {
        var first = await InsertOneAsync(UniqueJob());
        Assert.True(await CompleteAsync(await ClaimOneAsync(), JobOutcome.Succeeded));

        var again = await InsertOneAsync(UniqueJob());

        Assert.Equal((first.JobId, JobState.Succeeded, true), (again.JobId, again.State, again.Existing));
    }

    [Fact]
    public async Task Unique_key_blocks_for_a_sliding_period_from_creation_by_the_stores_clock()
    {
        var first = await InsertOneAsync(UniqueJob());
        Time.Advance(UniqueWindow - TimeSpan.FromMilliseconds(1));
        Assert.True((await InsertOneAsync(UniqueJob())).Existing);

        Time.Advance(TimeSpan.FromMilliseconds(1));   // created exactly one period ago: no longer blocks
        var second = await InsertOneAsync(UniqueJob());

        Assert.False(second.Existing);
        Assert.NotEqual(first.JobId, second.JobId);
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(second.JobId, (await InsertOneAsync(UniqueJob())).JobId);   // the newer one blocks from its own creation
        Assert.Equal(2, await CountJobsAsync());
    }

    [Fact]
    public async Task Unique_period_is_the_submissions_own()
    {
        var first = await InsertOneAsync(UniqueJob());
        Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(first.JobId, (await InsertOneAsync(UniqueJob(period: TimeSpan.FromMinutes(10)))).JobId);
        Assert.False((await InsertOneAsync(UniqueJob(period: TimeSpan.FromMinutes(1)))).Existing);
    }

    [Fact]
    public async Task Unique_keys_differ_by_value_and_by_tenant_and_the_default_tenant_is_one_tenant()
    {
        var lab1 = JobPrincipal.For("ada", "lab-1");
        var lab2 = JobPrincipal.For("bob", "lab-2");
        var a = await InsertOneAsync(UniqueJob(key: "sync:acct-1", principal: lab1));
        var b = await InsertOneAsync(UniqueJob(key: "sync:acct-2", principal: lab1));
        var c = await InsertOneAsync(UniqueJob(key: "sync:acct-1", principal: lab2));
        var d = await InsertOneAsync(UniqueJob(key: "sync:acct-1"));

        Assert.Equal(4, new[] { a, b, c, d }.Select(r => r.JobId).Distinct().Count());
        Assert.DoesNotContain(true, new[] { a, b, c, d }.Select(r => r.Existing));
        Assert.Equal(a.JobId, (await InsertOneAsync(UniqueJob(key: "sync:acct-1", principal: JobPrincipal.For("carol", "lab-1")))).JobId);
        Assert.Equal(d.JobId, (await InsertOneAsync(UniqueJob(key: "sync:acct-1", principal: JobPrincipal.System))).JobId);
    }

    [Fact]
    public async Task Unique_key_is_not_blocked_by_a_cancelled_or_failed_job()
    {
        var cancelled = await InsertOneAsync(UniqueJob());
        await CancelAsync(cancelled.JobId);
        var next = await InsertOneAsync(UniqueJob());
        Assert.False(next.Existing);

        Assert.True(await CompleteAsync(await ClaimOneAsync(), JobOutcome.Failed, error: "dead"));
        var after = await InsertOneAsync(UniqueJob());
        Assert.False(after.Existing);

        Assert.Equal(3, new[] { cancelled.JobId, next.JobId, after.JobId }.Distinct().Count());
        Assert.Equal(after.JobId, (await InsertOneAsync(UniqueJob())).JobId);   // a waiting one blocks
    }

    [Fact]
    public async Task Unique_key_is_blocked_by_a_running_job()
    {
        var running = await InsertOneAsync(UniqueJob());
        await ClaimOneAsync();
        Assert.Equal((running.JobId, JobState.Running), ((await InsertOneAsync(UniqueJob())).JobId, (await InsertOneAsync(UniqueJob())).State));
    }

    [Fact]
    public async Task Unique_keys_repeated_in_one_batch_insert_the_first_and_return_it_for_the_rest()
    {
        var results = await Store.JobsInsertAsync(new JobsInsertParams(
        [
            UniqueJob(key: "sync:acct-1"),
            UniqueJob(key: "sync:acct-2", payload: """{"accountId":2}"""),
            UniqueJob(key: "sync:acct-1", payload: """{"accountId":1,"force":true}"""),
            UniqueJob(key: "sync:acct-1", principal: JobPrincipal.For("ada", "lab-1")),
        ]), CancellationToken.None);

        Assert.Equal([false, false, true, false], results.Select(r => r.Existing));
        Assert.Equal(results[0].JobId, results[2].JobId);
        Assert.Equal(3, results.Select(r => r.JobId).Distinct().Count());
        Assert.Equal(3, await CountJobsAsync());

        var again = await Store.JobsInsertAsync(new JobsInsertParams([UniqueJob(key: "sync:acct-2"), UniqueJob(key: "sync:acct-2"), Job()]), CancellationToken.None);
        Assert.Equal([(results[1].JobId, true), (results[1].JobId, true)], again.Take(2).Select(r => (r.JobId, r.Existing)));
        Assert.False(again[2].Existing);
    }

    [Fact]
    public async Task Unique_duplicates_do_not_count_toward_a_full_queue()
    {
        var first = await InsertOneAsync(UniqueJob());
        var bounds = new Dictionary<string, QueueBound> { ["default"] = new(1, TimeSpan.FromSeconds(3)) };

        var again = Assert.Single(await Store.JobsInsertAsync(new JobsInsertParams([UniqueJob()], bounds), CancellationToken.None));

        Assert.Equal((first.JobId, true), (again.JobId, again.Existing));
        await Assert.ThrowsAsync<QueueFullException>(() => Store.JobsInsertAsync(new JobsInsertParams([UniqueJob(key: "sync:acct-9")], bounds), CancellationToken.None));
    }

    [Fact]
    public async Task Idempotency_is_checked_before_uniqueness()
    {
        var keyed = await InsertOneAsync(UniqueJob(idempotencyKey: "req-1"));
        await CancelAsync(keyed.JobId);
        var other = await InsertOneAsync(UniqueJob());   // the cancelled job no longer blocks the unique key

        // The idempotency key still names the cancelled job: the replay returns it, though the unique key points elsewhere.
        var replay = await InsertOneAsync(UniqueJob(idempotencyKey: "req-1"));
        Assert.Equal((keyed.JobId, JobState.Cancelled, true), (replay.JobId, replay.State, replay.Existing));
        await Assert.ThrowsAsync<IdempotencyConflictException>(() => InsertOneAsync(UniqueJob(idempotencyKey: "req-1", payload: """{"accountId":1,"x":2}""")));

        // A new idempotency key whose unique key is taken gets the blocking job and stores nothing, not even its key.
        var fresh = await InsertOneAsync(UniqueJob(idempotencyKey: "req-2"));
        Assert.Equal((other.JobId, true), (fresh.JobId, fresh.Existing));
        Assert.Null((await GetAsync(other.JobId)).IdempotencyKey);
        Assert.Equal(2, await CountJobsAsync());
    }

    [Fact]
    public async Task Concurrent_submissions_of_one_unique_key_insert_exactly_one_job()
    {
        var stores = StoresForClaimers(4);

        // Three rounds of 50 racing submitters, each round its own key, some with idempotency keys of their own.
        for (var round = 0; round < 3; round++)
        {
            var key = $"sync:acct-{round}";
            var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(n => Task.Run(() =>
                InsertOneAsync(UniqueJob(key: key, payload: $$"""{"accountId":{{round}},"n":{{n}}}""", idempotencyKey: n % 3 == 0 ? $"req-{round}-{n}" : null), stores[n % stores.Length]))));

            Assert.Single(results, r => !r.Existing);
            Assert.Single(results.Select(r => r.JobId).Distinct());
        }
        Assert.Equal(3, await CountJobsAsync());
    }
}
