using System.Text.Json;
using Conveyor.StoreTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.StoreTests.Conformance;

/// <summary>
/// The store contract (docs/contract.md), written once against <see cref="IJobStore"/> and run for every
/// store by a one-line subclass. Split into partial files per area. Time is a <see cref="FakeTimeProvider"/>:
/// rules about time move the clock instead of sleeping.
/// </summary>
public abstract partial class JobStoreConformanceTests<TFactory> : IAsyncLifetime
    where TFactory : IStoreFactory, new()
{
    protected static readonly DateTimeOffset Start = new(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    protected TFactory Factory { get; } = new();

    protected FakeTimeProvider Time { get; } = new(Start);

    protected IJobStore Store { get; private set; } = null!;

    public async Task InitializeAsync() => Store = await Factory.CreateAsync(Time);

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    protected static NewJob Job(
        string kind = "test.job",
        string queue = "default",
        string payload = "{}",
        JobPriority priority = JobPriority.Normal,
        int maxAttempts = 3,
        string? concurrencyKey = null,
        int concurrencyLimit = 1,
        string? idempotencyKey = null,
        JobPrincipal? principal = null,
        TimeSpan delay = default,
        DateTimeOffset? runAt = null,
        IReadOnlyList<string>? tags = null) => new()
        {
            Kind = kind,
            Queue = queue,
            Payload = payload,
            Priority = priority,
            MaxAttempts = maxAttempts,
            ConcurrencyKey = concurrencyKey,
            ConcurrencyLimit = concurrencyLimit,
            IdempotencyKey = idempotencyKey,
            Principal = principal ?? JobPrincipal.System,
            Delay = delay,
            RunAt = runAt,
            Tags = tags ?? [],
        };

    protected async Task<long> InsertAsync(NewJob job) =>
        (await Store.JobsInsertAsync(new JobsInsertParams([job]), CancellationToken.None))[0].JobId;

    protected async Task<List<long>> InsertManyAsync(IEnumerable<NewJob> jobs) =>
        (await Store.JobsInsertAsync(new JobsInsertParams(jobs.ToList()), CancellationToken.None)).Select(r => r.JobId).ToList();

    protected Task<IReadOnlyList<ClaimedJob>> ClaimAsync(string queue = "default", int limit = 1, string worker = "worker-1", IJobStore? store = null) =>
        (store ?? Store).JobsClaimAsync(new JobsClaimParams(queue, limit, worker, Lease), CancellationToken.None);

    protected async Task<ClaimedJob> ClaimOneAsync(string queue = "default")
    {
        var claimed = await ClaimAsync(queue);
        return Assert.Single(claimed);
    }

    protected async Task<bool> CompleteAsync(ClaimedJob job, JobOutcome outcome, string? error = null, TimeSpan retryDelay = default, string? result = null, long? token = null)
    {
        var applied = await Store.JobsCompleteAsync(new JobsCompleteParams([new JobCompletion
        {
            Lease = new JobLease(job.Id, token ?? job.LeaseToken),
            Outcome = outcome,
            Error = error,
            RetryDelay = retryDelay,
            Result = result,
            Actor = "worker-1",
        }]), CancellationToken.None);
        return applied.Contains(job.Id);
    }

    protected async Task<JobInfo> GetAsync(long id) =>
        await Store.JobGetAsync(id, CancellationToken.None) ?? throw new Xunit.Sdk.XunitException($"Job {id} does not exist.");

    protected async Task<List<JobEventKind>> HistoryAsync(long id) =>
        (await Store.JobEventsListAsync(new JobEventsListParams(id), CancellationToken.None)).Select(e => e.Kind).ToList();

    /// <summary>The whole job row as JSON text, to prove that a refused call changed nothing.</summary>
    protected async Task<string> SnapshotAsync(long id) => JsonSerializer.Serialize(await GetAsync(id));

    protected async Task<IReadOnlyList<JobEvent>> EventsAsync(long id, long afterEventId = 0, int limit = 1000) =>
        await Store.JobEventsListAsync(new JobEventsListParams(id, afterEventId, limit), CancellationToken.None);

    protected static JobCompletion Completion(
        ClaimedJob job,
        JobOutcome outcome,
        string? error = null,
        TimeSpan retryDelay = default,
        string? result = null,
        IReadOnlyList<JobArtifact>? artifacts = null,
        long? token = null,
        string actor = "worker-1") => new()
        {
            Lease = new JobLease(job.Id, token ?? job.LeaseToken),
            Outcome = outcome,
            Error = error,
            RetryDelay = retryDelay,
            Result = result,
            Artifacts = artifacts,
            Actor = actor,
        };

    protected async Task<IReadOnlyList<long>> CompleteManyAsync(IEnumerable<JobCompletion> completions, IJobStore? store = null) =>
        await (store ?? Store).JobsCompleteAsync(new JobsCompleteParams(completions.ToList()), CancellationToken.None);

    protected Task<JobsHeartbeatResult> HeartbeatAsync(params JobLease[] leases) =>
        Store.JobsHeartbeatAsync(new JobsHeartbeatParams(leases, Lease), CancellationToken.None);

    protected Task<IReadOnlyList<ReapedJob>> ReapAsync(int limit = 100, IJobStore? store = null) =>
        (store ?? Store).JobsReapAsync(new JobsReapParams(limit), CancellationToken.None);

    protected Task<JobCancelResult> CancelAsync(long id, string? actor = "admin") =>
        Store.JobCancelAsync(new JobCancelParams(id, actor), CancellationToken.None);

    protected Task<JobRequeueResult> RequeueAsync(long id, string? actor = "admin") =>
        Store.JobRequeueAsync(new JobRequeueParams(id, actor), CancellationToken.None);

    protected Task SetPausedAsync(string queue, bool paused) =>
        Store.QueueSetPausedAsync(new QueueSetPausedParams(queue, paused), CancellationToken.None);

    /// <summary>Every job matching <paramref name="query"/> (all jobs by default), newest first, read page by page.</summary>
    protected async Task<List<JobInfo>> ListAllAsync(JobQuery? query = null)
    {
        var jobs = new List<JobInfo>();
        var q = (query ?? new JobQuery()) with { Limit = 1000, Cursor = null };
        while (true)
        {
            var page = await Store.JobsListAsync(q, CancellationToken.None);
            jobs.AddRange(page.Jobs);
            if (page.NextCursor is null)
                return jobs;
            q = q with { Cursor = page.NextCursor };
        }
    }

    protected async Task<int> CountJobsAsync(JobQuery? query = null) => (await ListAllAsync(query)).Count;
}
