namespace Conveyor;

/// <summary>A named queue: isolated from the others, with its own worker slots and an optional bound.</summary>
public sealed class QueueOptions
{
    internal QueueOptions(string name) => Name = name;

    /// <summary>The queue's name: 1 to 64 characters of a–z, 0–9, '.', '_' or '-'.</summary>
    public string Name { get; }

    /// <summary>How many of its jobs this process runs at once. Default 10; 0 makes this process a producer only for the queue.</summary>
    public int Concurrency { get; set; } = 10;

    /// <summary>
    /// The most jobs this process claims beyond its free slots, to start as slots free: fewer, larger claims when
    /// jobs are shorter than a claim's round trip. It claims ahead only when every slot is free and the jobs that
    /// ended last all ran shorter than the claim before them took; a job claimed ahead is running in the store
    /// (leased, attempt charged, <c>started_at</c> set) while it waits, and one that finds no slot within
    /// 100 ms is handed back uncharged. Default null: twelve times <see cref="Concurrency"/>; 0 never claims ahead. Each
    /// of the queue's <see cref="ClaimLoops"/> claims this many ahead of its own slots, and no claim asks for more than
    /// <see cref="ConveyorOptions.MaxClaimBatch"/> jobs.
    /// </summary>
    public int? Prefetch { get; set; }

    /// <summary>
    /// How many claim loops this process runs for the queue, each with its share of <see cref="Concurrency"/>: two
    /// loops keep two claims in flight, so the store works on one while this process starts the jobs of the other;
    /// that matters only when jobs are shorter than a claim's round trip. The first loop claims as a queue always
    /// did (woken by announced jobs, polling); each further loop claims only after the one before it got as many jobs
    /// as it asked for (a backlog), and until its own claims come back short. Default null: 2 when
    /// <see cref="Concurrency"/> is at least 8, else 1.
    /// </summary>
    public int? ClaimLoops { get; set; }

    /// <summary>The most jobs that may wait (pending or scheduled) in the queue; further submissions are refused. Default null: unbounded.</summary>
    public int? MaxWaiting { get; set; }

    /// <summary>The retry-after hint given with a refusal when the queue is full. Default 5 seconds.</summary>
    public TimeSpan RetryAfterWhenFull { get; set; } = TimeSpan.FromSeconds(5);
}
