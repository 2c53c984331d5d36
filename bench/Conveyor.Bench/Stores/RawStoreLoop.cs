using Conveyor.Storage;

namespace Conveyor.Bench.Stores;

/// <summary>
/// The raw limit's two halves, the same for every store: loading no-op jobs through the store's own bulk insert, and
/// one caller claiming a batch and completing it as succeeded until the queue is empty, with none of the engine.
/// </summary>
internal static class RawStoreLoop
{
    /// <summary>What the raw paths record as the actor: as long as an engine worker id.</summary>
    public const string Worker = "bench-raw:00000:abcdef";

    /// <summary>
    /// Inserts <paramref name="jobs"/> no-op jobs in batches of 1,000, as <c>EnqueueManyAsync</c> does: how every
    /// drain workload loads its jobs, the engine's and the raw ones alike.
    /// </summary>
    public static async Task LoadNoopJobsAsync(IJobStore store, int jobs, CancellationToken cancellationToken)
    {
        for (var start = 0; start < jobs; start += Workload.EnqueueBatchSize)
        {
            var batch = Enumerable.Range(start, Math.Min(Workload.EnqueueBatchSize, jobs - start)).Select(i => new NewJob
            {
                Kind = Workload.NoopKind,
                Queue = ConveyorOptions.DefaultQueueName,
                Payload = Workload.NoopPayloadJson(i),
                MaxAttempts = 10,
                Principal = JobPrincipal.System,
            }).ToList();
            await store.JobsInsertAsync(new JobsInsertParams(batch), cancellationToken);
        }
    }

    /// <summary>Claims <paramref name="batchSize"/> jobs and completes them as succeeded until none is left; returns how many completed.</summary>
    public static async Task<int> ClaimAndCompleteAsync(IJobStore store, int batchSize, CancellationToken cancellationToken)
    {
        var claimParams = new JobsClaimParams(ConveyorOptions.DefaultQueueName, batchSize, Worker, TimeSpan.FromSeconds(30));
        var completed = 0;
        while (true)
        {
            var claimed = await store.JobsClaimAsync(claimParams, cancellationToken);
            if (claimed.Count == 0)
                return completed;
            var completions = new JobCompletion[claimed.Count];
            for (var i = 0; i < completions.Length; i++)
                completions[i] = new JobCompletion { Lease = new JobLease(claimed[i].Id, claimed[i].LeaseToken), Outcome = JobOutcome.Succeeded, Actor = Worker };
            completed += (await store.JobsCompleteAsync(new JobsCompleteParams(completions), cancellationToken)).Count;
        }
    }
}
