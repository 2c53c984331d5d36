namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private Task<IReadOnlyList<ClaimedJob>> ClaimAfterAsync(int limit, params JobCompletion[] finished) =>
        Store.JobsClaimAsync(new JobsClaimParams("default", limit, "worker-1", Lease, finished), CancellationToken.None);

    private static JobCompletion Succeeded(ClaimedJob job, long? token = null) => new()
    {
        Lease = new JobLease(job.Id, token ?? job.LeaseToken),
        Outcome = JobOutcome.Succeeded,
        Result = """{"ok":true}""",
        Actor = "worker-1",
    };

    [Fact]
    public async Task A_claim_completes_the_attempts_it_is_given_first_and_then_claims()
    {
        var first = await InsertAsync(Job());
        var second = await InsertAsync(Job());
        var running = await ClaimOneAsync();
        Assert.Equal(first, running.Id);

        var claimed = await ClaimAfterAsync(1, Succeeded(running));

        Assert.Equal(second, Assert.Single(claimed).Id);
        var done = await GetAsync(first);
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal("""{"ok":true}""", done.Result);
        Assert.Equal([JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Succeeded], await HistoryAsync(first));
    }

    [Fact]
    public async Task A_key_freed_by_a_completion_passed_to_the_claim_lets_the_same_claim_take_its_successor()
    {
        var head = await InsertAsync(Job(concurrencyKey: "session-1"));
        var next = await InsertAsync(Job(concurrencyKey: "session-1"));
        var running = await ClaimOneAsync();
        Assert.Equal(head, running.Id);
        Assert.Empty(await ClaimAsync());

        var claimed = await ClaimAfterAsync(5, Succeeded(running));

        Assert.Equal(next, Assert.Single(claimed).Id);
    }

    [Fact]
    public async Task A_stale_completion_passed_to_a_claim_changes_nothing_and_the_claim_still_runs()
    {
        var first = await InsertAsync(Job());
        var stale = await ClaimOneAsync();
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        await Store.JobsReapAsync(new JobsReapParams(10), CancellationToken.None);
        var current = await ClaimOneAsync();
        Assert.Equal(first, current.Id);
        var second = await InsertAsync(Job());

        var claimed = await ClaimAfterAsync(1, Succeeded(stale));

        Assert.Equal(second, Assert.Single(claimed).Id);
        var job = await GetAsync(first);
        Assert.Equal(JobState.Running, job.State);
        Assert.Null(job.Result);
        Assert.DoesNotContain(JobEventKind.Succeeded, await HistoryAsync(first));
    }
}
