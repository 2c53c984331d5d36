namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static JobsInsertParams Batch(params NewJob[] jobs) => new(jobs);

    [Fact]
    public async Task Idempotent_replay_returns_the_existing_id_marked_existing_and_stores_nothing_new()
    {
        var first = Assert.Single(await Store.JobsInsertAsync(Batch(Job(payload: """{"a":1}""", idempotencyKey: "order-1")), CancellationToken.None));
        Time.Advance(TimeSpan.FromSeconds(5));

        var replay = Assert.Single(await Store.JobsInsertAsync(Batch(
            Job(payload: """{"a":1}""", idempotencyKey: "order-1", queue: "other", priority: JobPriority.Critical, delay: TimeSpan.FromHours(1), tags: ["x"])),
            CancellationToken.None));

        Assert.False(first.Existing);
        Assert.Equal(new JobInsertResult(first.JobId, JobState.Pending, true), replay);
        Assert.Equal(1, await CountJobsAsync());
        var job = await GetAsync(first.JobId);
        Assert.Equal(("default", Start, Start), (job.Queue, job.UpdatedAt, job.RunAt));
        Assert.Equal([JobEventKind.Enqueued], await HistoryAsync(first.JobId));
    }

    [Fact]
    public async Task Idempotent_replay_reports_the_existing_jobs_current_state_even_when_terminal()
    {
        var id = await InsertAsync(Job(idempotencyKey: "once"));
        Assert.True(await CompleteAsync(await ClaimOneAsync(), JobOutcome.Succeeded));

        var replay = Assert.Single(await Store.JobsInsertAsync(Batch(Job(idempotencyKey: "once")), CancellationToken.None));

        Assert.Equal(new JobInsertResult(id, JobState.Succeeded, true), replay);
        Assert.Empty(await ClaimAsync(limit: 10));
    }

    [Fact]
    public async Task Idempotency_key_reused_with_a_different_payload_throws_a_conflict_and_stores_nothing()
    {
        var id = await InsertAsync(Job(payload: """{"a":1}""", idempotencyKey: "k"));

        var conflict = await Assert.ThrowsAsync<IdempotencyConflictException>(() =>
            Store.JobsInsertAsync(Batch(Job(payload: """{ "a": 1 }""", idempotencyKey: "k")), CancellationToken.None));

        Assert.Equal(("k", id), (conflict.IdempotencyKey, conflict.ExistingJobId));
        Assert.Equal(1, await CountJobsAsync());
        Assert.Equal("""{"a":1}""", (await GetAsync(id)).Payload);
    }

    [Fact]
    public async Task Idempotency_key_reused_with_a_different_kind_throws_a_conflict_and_stores_nothing()
    {
        var id = await InsertAsync(Job(kind: "mail.send", idempotencyKey: "k"));

        var conflict = await Assert.ThrowsAsync<IdempotencyConflictException>(() =>
            Store.JobsInsertAsync(Batch(Job(kind: "sms.send", idempotencyKey: "k")), CancellationToken.None));

        Assert.Equal(id, conflict.ExistingJobId);
        Assert.Equal(1, await CountJobsAsync());
    }

    [Fact]
    public async Task Idempotency_keys_are_per_tenant_and_the_default_tenant_is_one_tenant()
    {
        var inA = await InsertAsync(Job(idempotencyKey: "k", principal: JobPrincipal.For("u", "tenant-a")));
        var inB = await InsertAsync(Job(idempotencyKey: "k", principal: JobPrincipal.For("u", "tenant-b")));
        var inDefault = await InsertAsync(Job(idempotencyKey: "k"));

        var replayDefault = Assert.Single(await Store.JobsInsertAsync(Batch(Job(idempotencyKey: "k", principal: JobPrincipal.For("someone-else"))), CancellationToken.None));
        var replayB = Assert.Single(await Store.JobsInsertAsync(Batch(Job(idempotencyKey: "k", principal: JobPrincipal.For("u", "tenant-b"))), CancellationToken.None));

        Assert.Equal(3, new[] { inA, inB, inDefault }.Distinct().Count());
        Assert.Equal((inDefault, true), (replayDefault.JobId, replayDefault.Existing));
        Assert.Equal((inB, true), (replayB.JobId, replayB.Existing));
        Assert.Equal(3, await CountJobsAsync());
        await Assert.ThrowsAsync<IdempotencyConflictException>(() =>
            Store.JobsInsertAsync(Batch(Job(idempotencyKey: "k", payload: "[]", principal: JobPrincipal.For("u", "tenant-a"))), CancellationToken.None));
    }

    [Fact]
    public async Task Idempotency_key_repeated_inside_one_batch_inserts_once_and_replays_the_rest()
    {
        var results = await Store.JobsInsertAsync(Batch(
            Job(payload: "1", idempotencyKey: "k"),
            Job(payload: "2"),
            Job(payload: "1", idempotencyKey: "k")), CancellationToken.None);

        Assert.False(results[0].Existing);
        Assert.False(results[1].Existing);
        Assert.Equal(new JobInsertResult(results[0].JobId, JobState.Pending, true), results[2]);
        Assert.Equal(2, await CountJobsAsync());
    }

    [Fact]
    public async Task Idempotency_key_repeated_inside_one_batch_with_a_different_payload_is_a_conflict_and_stores_nothing()
    {
        await Assert.ThrowsAsync<IdempotencyConflictException>(() => Store.JobsInsertAsync(Batch(
            Job(payload: "1", idempotencyKey: "k"),
            Job(payload: "2", idempotencyKey: "k")), CancellationToken.None));

        Assert.Equal(0, await CountJobsAsync());
    }

    [Fact]
    public async Task Idempotency_conflict_anywhere_in_a_batch_stores_none_of_it()
    {
        await InsertAsync(Job(payload: "1", idempotencyKey: "taken"));

        await Assert.ThrowsAsync<IdempotencyConflictException>(() => Store.JobsInsertAsync(Batch(
            Job(payload: "new-1"),
            Job(payload: "new-2", idempotencyKey: "fresh"),
            Job(payload: "2", idempotencyKey: "taken"),
            Job(payload: "new-3")), CancellationToken.None));

        Assert.Equal(1, await CountJobsAsync());
        Assert.Equal(JobState.Pending, Assert.Single(await Store.JobsInsertAsync(Batch(Job(payload: "new-2", idempotencyKey: "fresh")), CancellationToken.None)).State);
        Assert.Equal(2, await CountJobsAsync());
    }

    [Fact]
    public async Task Idempotency_replay_and_new_jobs_mix_in_one_batch()
    {
        var existing = await InsertAsync(Job(payload: "1", idempotencyKey: "k1"));

        var results = await Store.JobsInsertAsync(Batch(
            Job(payload: "1", idempotencyKey: "k1"),
            Job(payload: "2", idempotencyKey: "k2")), CancellationToken.None);

        Assert.Equal((existing, true), (results[0].JobId, results[0].Existing));
        Assert.False(results[1].Existing);
        Assert.NotEqual(existing, results[1].JobId);
        Assert.Equal(2, await CountJobsAsync());
        Assert.Equal("k2", (await GetAsync(results[1].JobId)).IdempotencyKey);
    }
}
