using Conveyor.Sqlite;

namespace Conveyor.StoreTests.Sqlite;

/// <summary>
/// A large insert batch mixing new jobs, an existing idempotency key and a key repeated within the batch: every
/// result belongs to its own submission, in order, with one enqueued event per new job naming its submitter.
/// (Written while trying a multi-row INSERT for bulk enqueue, which is where such pairing could go wrong.)
/// </summary>
public sealed class SqliteBulkInsertTests : IAsyncLifetime
{
    private readonly SqliteStoreFactory _factory = new();
    private SqliteJobStore _store = null!;

    public async Task InitializeAsync() => _store = (SqliteJobStore)await _factory.CreateAsync(TimeProvider.System);

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task A_large_batch_pairs_every_result_with_its_own_job_and_event()
    {
        await _store.JobsInsertAsync(new JobsInsertParams([Job(-1, "taken")]), CancellationToken.None);
        // 150 jobs with an existing key (7) and a key repeated within the batch (99, 100).
        var batch = Enumerable.Range(0, 150).Select(i => i switch
        {
            7 => Job(-1, "taken"),
            100 => Job(99, "twice"),
            99 => Job(99, "twice"),
            _ => Job(i),
        }).ToList();

        var results = await _store.JobsInsertAsync(new JobsInsertParams(batch), CancellationToken.None);

        Assert.Equal(150, results.Count);
        Assert.True(results[7].Existing);
        Assert.True(results[100].Existing);
        Assert.Equal(results[99].JobId, results[100].JobId);
        var fresh = results.Where(r => !r.Existing).Select(r => r.JobId).ToList();
        Assert.Equal(148, fresh.Distinct().Count());
        Assert.Equal(fresh.Order(), fresh);
        for (var i = 0; i < 150; i++)
        {
            var job = await _store.JobGetAsync(results[i].JobId, CancellationToken.None);
            Assert.NotNull(job);
            if (i == 7)
                continue;
            var n = i == 100 ? 99 : i;
            Assert.Equal($"{{\"n\":{n}}}", job.Payload);
            Assert.Equal(n % 2 == 0 ? JobState.Pending : JobState.Scheduled, results[i].State);
            var events = await _store.JobEventsListAsync(new JobEventsListParams(results[i].JobId), CancellationToken.None);
            var enqueued = Assert.Single(events);
            Assert.Equal(JobEventKind.Enqueued, enqueued.Kind);
            Assert.Equal($"user-{n}", enqueued.Actor);
            Assert.Equal(0, enqueued.Attempt);
        }
    }

    private static NewJob Job(int n, string? idempotencyKey = null) => new()
    {
        Kind = "test.job",
        Queue = "default",
        Payload = $"{{\"n\":{n}}}",
        MaxAttempts = 3,
        IdempotencyKey = idempotencyKey,
        Delay = n % 2 == 0 ? TimeSpan.Zero : TimeSpan.FromHours(1),
        Principal = JobPrincipal.For($"user-{n}", n % 3 == 0 ? "tenant-a" : null, "role"),
    };
}
