namespace Conveyor.Storage;

/// <summary>
/// The first half of <see cref="IJobClient"/>'s enqueue, for store packages that store submissions their own way
/// (the PostgreSQL store's enqueue inside the caller's transaction): submissions are validated and routed exactly as
/// <see cref="IJobClient.EnqueueAsync{TPayload}"/> and <see cref="IJobClient.EnqueueManyAsync{TPayload}"/> do it, and
/// the store insert that would follow is left to the caller. The client <c>AddConveyor</c> registers implements it.
/// </summary>
/// <remarks>
/// A service-provider interface for store authors; it may change between minor versions. Applications use
/// <see cref="IJobClient"/> or the store package's extensions of it.
/// </remarks>
public interface IEnqueuePipeline
{
    /// <summary>Validates and routes one submission, as <see cref="IJobClient.EnqueueAsync{TPayload}"/> does, touching no store.</summary>
    /// <returns>The insert to make: the job, the bounds of the queues that have one, and the tenant bound if any.</returns>
    /// <exception cref="JobValidationException">The submission is invalid.</exception>
    JobsInsertParams Prepare<TPayload>(TPayload payload, EnqueueOptions? options);

    /// <summary>Validates and routes a batch, as <see cref="IJobClient.EnqueueManyAsync{TPayload}"/> does (fields named <c>jobs[i].…</c>), touching no store.</summary>
    /// <returns>The insert to make, possibly of no jobs, with the bounds of the queues that have one and the tenant bound if any.</returns>
    /// <exception cref="JobValidationException">A submission is invalid.</exception>
    JobsInsertParams PrepareMany<TPayload>(IEnumerable<TPayload> payloads, EnqueueOptions? options);

    /// <summary>The configured store, migrated first when <see cref="ConveyorOptions.MigrateOnStart"/> is set.</summary>
    ValueTask<IJobStore> GetStoreAsync(CancellationToken cancellationToken);
}
