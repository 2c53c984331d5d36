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
    public const string Latency = "latency";

    /// <summary>Every workload, in the order they run.</summary>
    public static IReadOnlyList<string> Names { get; } = [Enqueue, EnqueueBatch, Drain, DrainKeyed, Latency];

    public const string NoopKind = "bench.noop";

    /// <summary>Jobs per enqueue batch, per bulk insert, and per raw claim.</summary>
    public const int EnqueueBatchSize = 1_000;
    public const int RawClaimBatch = 100;

    /// <summary>Concurrency keys of <c>drain_keyed</c>: job i has key i % 1000.</summary>
    public const int Keys = 1_000;

    /// <summary>The payload the engine stores for <c>new NoopJob(i)</c> (web JSON defaults); the raw paths store the same text.</summary>
    public static string NoopPayloadJson(int i) => string.Create(CultureInfo.InvariantCulture, $"{{\"n\":{i}}}");

    public static IWorkload Create(string name, IBenchStore store, BenchArgs args) => name switch
    {
        Enqueue => new EnqueueWorkload(store, batched: false),
        EnqueueBatch => new EnqueueWorkload(store, batched: true),
        Drain => new DrainWorkload(store, args.Workers, keyed: false),
        DrainKeyed => new DrainWorkload(store, args.Workers, keyed: true),
        Latency => new LatencyWorkload(store, args.Samples, args.LatencyWarmup),
        _ => throw new UsageException($"unknown workload '{name}'"),
    };
}

internal interface IWorkload
{
    string Name { get; }

    /// <summary>Whether a small untimed round should run first (throughput workloads).</summary>
    bool WantsWarmup { get; }

    /// <summary>Runs the workload once over <paramref name="jobs"/> jobs on fresh databases and measures it.</summary>
    Task<BenchResult> RunAsync(int jobs, CancellationToken cancellationToken);
}

/// <summary>The payload of the benchmark's job: nothing but a number.</summary>
public sealed record NoopJob(int N);
