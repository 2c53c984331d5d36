namespace Conveyor.Bench.Stores;

/// <summary>
/// A kind of store the benchmark can run against. It makes fresh, empty databases; each workload uses its
/// own and throws it away. A new store adds one implementation and one line in <see cref="BenchStores"/>.
/// Disposing it releases what it started (PostgreSQL: the throw-away cluster).
/// </summary>
internal interface IBenchStore : IAsyncDisposable
{
    /// <summary>The name given to <c>--store</c>.</summary>
    string Name { get; }

    /// <summary>The workloads this store runs, in order (the multi-process ones need a server store).</summary>
    IReadOnlyList<string> Workloads { get; }

    /// <summary>A fresh, empty database; disposing it deletes it.</summary>
    IBenchDatabase CreateDatabase();
}

/// <summary>One throw-away database: the engine's configuration for it, and the same store driven raw, without the engine.</summary>
internal interface IBenchDatabase : IAsyncDisposable
{
    /// <summary>Points the engine at this database (<c>o.UseSqlite(path)</c> and the like).</summary>
    void Configure(ConveyorOptions options);

    /// <summary>How many jobs the database holds as succeeded, read straight from the database.</summary>
    Task<long> CountSucceededAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The store's raw limit for single enqueues: <paramref name="jobs"/> transactions, each inserting one job
    /// and its event, on the same schema. Returns the time taken (schema creation not included).
    /// </summary>
    Task<TimeSpan> RawEnqueueAsync(int jobs, CancellationToken cancellationToken);

    /// <summary>The raw limit for bulk enqueue: multi-row inserts of <paramref name="batchSize"/> jobs and their events, one transaction each.</summary>
    Task<TimeSpan> RawEnqueueBatchAsync(int jobs, int batchSize, CancellationToken cancellationToken);

    /// <summary>
    /// The raw limit for draining: loads <paramref name="jobs"/> ready jobs (not timed), then claims
    /// <paramref name="batchSize"/> at a time and completes each batch as succeeded, one claimer, until none is
    /// left. Returns the time of the drain alone.
    /// </summary>
    Task<TimeSpan> RawDrainAsync(int jobs, int batchSize, CancellationToken cancellationToken);
}
