using System.Globalization;
using Conveyor.Bench.Stores;

namespace Conveyor.Bench;

/// <summary>The workloads by name, and the no-op job they all use.</summary>
internal static class Workload
{
    public const string Enqueue = "enqueue";
    public const string EnqueueBatch = "enqueue_batch";
    public const string Drain = "drain";
    public const string DrainKeyed = "drain_keyed";
    public const string DrainThrottled = "drain_throttled";
    public const string Latency = "latency";
    public const string DrainProcs = "drain_procs";
    public const string LatencyProcs = "latency_procs";
    public const string Backlog = "backlog";
    public const string IdleQps = "idle_qps";

    /// <summary>Every workload, in the order they run.</summary>
    public static IReadOnlyList<string> Names { get; } = [Enqueue, EnqueueBatch, Drain, DrainKeyed, DrainThrottled, Latency, DrainProcs, LatencyProcs, Backlog, IdleQps];

    /// <summary>The workloads of every store; the rest need worker processes sharing a server store.</summary>
    public static IReadOnlyList<string> Common { get; } = [Enqueue, EnqueueBatch, Drain, DrainKeyed, DrainThrottled, Latency];

    public const string NoopKind = "bench.noop";

    /// <summary>Jobs per enqueue batch, per bulk insert, and per raw claim.</summary>
    public const int EnqueueBatchSize = 1_000;
    public const int RawClaimBatch = 100;

    /// <summary>Concurrency keys of <c>drain_keyed</c> (job i has key i % 1000), and tenants of <c>drain_throttled</c>.</summary>
    public const int Keys = 1_000;

    /// <summary>The payload the engine stores for <c>new NoopJob(i)</c> (web JSON defaults); the raw paths store the same text.</summary>
    public static string NoopPayloadJson(int i) => string.Create(CultureInfo.InvariantCulture, $"{{\"n\":{i}}}");

    public static IWorkload Create(string name, IBenchStore store, BenchArgs args) => name switch
    {
        Enqueue => new EnqueueWorkload(store, batched: false),
        EnqueueBatch => new EnqueueWorkload(store, batched: true),
        Drain => new DrainWorkload(store, args.Workers, DrainKind.Plain),
        DrainKeyed => new DrainWorkload(store, args.Workers, DrainKind.Keyed),
        DrainThrottled => new DrainWorkload(store, args.Workers, DrainKind.Throttled),
        Latency => new LatencyWorkload(store, args.Samples, args.LatencyWarmup),
        DrainProcs => new DrainProcsWorkload(Postgres(store), args.Workers, args.Processes),
        LatencyProcs => new LatencyProcsWorkload(Postgres(store), args.Samples, args.LatencyWarmup),
        Backlog => new BacklogWorkload(Postgres(store), args.Workers),
        IdleQps => new IdleQpsWorkload(Postgres(store), args.Workers, args.IdleSeconds),
        _ => throw new UsageException($"unknown workload '{name}'"),
    };

    private static PostgresBenchStore Postgres(IBenchStore store) =>
        store as PostgresBenchStore ?? throw new UsageException($"this workload needs --store postgres (is {store.Name})");
}

/// <summary>A workload; one that holds worker processes across its rounds releases them when disposed.</summary>
internal interface IWorkload : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Whether an untimed round should run first (throughput workloads).</summary>
    bool WantsWarmup { get; }

    /// <summary>
    /// Runs the workload once over <paramref name="jobs"/> jobs on fresh databases and measures it: one figure, or
    /// several (one per process count, one per backlog size), always in the same order.
    /// </summary>
    Task<IReadOnlyList<BenchResult>> RunAsync(int jobs, CancellationToken cancellationToken);

    /// <summary>The untimed round; by default a round like the timed ones.</summary>
    Task WarmupAsync(int jobs, CancellationToken cancellationToken) => RunAsync(jobs, cancellationToken);

    ValueTask IAsyncDisposable.DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The payload of the benchmark's job: nothing but a number.</summary>
public sealed record NoopJob(int N);
