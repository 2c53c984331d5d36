namespace Conveyor.Bench;

/// <summary>The command line, parsed. <see cref="Parse"/> throws <see cref="UsageException"/> on anything it does not accept.</summary>
internal sealed record BenchArgs
{
    public string Store { get; init; } = "sqlite";
    public int Jobs { get; init; } = 20_000;
    public int Workers { get; init; } = 16;
    public bool Json { get; init; }
    public bool Verbose { get; init; }

    /// <summary>The workloads named with <c>--workload</c>, in the canonical order; null: every workload the store has.</summary>
    public IReadOnlyList<string>? Workloads { get; init; }

    /// <summary>PostgreSQL: the connection string; null: the harness starts a throw-away cluster of its own.</summary>
    public string? Pg { get; init; }

    /// <summary>Worker processes per row of <c>drain_procs</c>.</summary>
    public IReadOnlyList<int> Processes { get; init; } = [1, 2, 4];

    /// <summary>How long <c>idle_qps</c> counts queries.</summary>
    public int IdleSeconds { get; init; } = 20;

    /// <summary><c>--role worker</c>: this process is a worker process of a multi-process workload (<see cref="WorkerRole"/>).</summary>
    public string? Role { get; init; }

    /// <summary>The schema a worker process attaches to.</summary>
    public string? Schema { get; init; }

    /// <summary>
    /// Jobs of each untimed warm-up round before a throughput figure, on its own databases; 0 turns warm-up off.
    /// Default: as many as <see cref="Jobs"/>.
    /// </summary>
    public int? Warmup { get; init; }

    /// <summary>
    /// Untimed warm-up rounds before each throughput figure (default 3), so that the timed rounds run on tiered-up
    /// (optimised) code instead of beside the JIT compiling it; after one round of 20,000 jobs they did not, and after
    /// two, one run in six still ran at the second round's pace.
    /// </summary>
    public int WarmupRounds { get; init; } = 3;

    /// <summary>Timed rounds per figure; the round with the median result is reported (on a shared machine one round can be far off).</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>Latency samples measured, after <see cref="LatencyWarmup"/> unmeasured ones.</summary>
    public int Samples { get; init; } = 200;
    public int LatencyWarmup { get; init; } = 20;

    public const string Usage =
        "usage: Conveyor.Bench [--store sqlite|postgres] [--pg CONNECTION-STRING] [--jobs N] [--workers N]\n" +
        "                      [--workload NAME[,NAME...]]... [--json] [--verbose] [--warmup N] [--warmup-rounds N] [--repeat N]\n" +
        "                      [--samples N] [--latency-warmup N] [--procs N[,N...]] [--idle-seconds N]\n" +
        "workloads: enqueue, enqueue_batch, drain, drain_keyed, drain_throttled, latency (every store);\n" +
        "           drain_procs, latency_procs, backlog, idle_qps (postgres only). Default: all of the store's.";

    public static BenchArgs Parse(string[] args)
    {
        var result = new BenchArgs();
        List<string>? workloads = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--json":
                    result = result with { Json = true };
                    break;
                case "--verbose":
                    result = result with { Verbose = true };
                    break;
                case "--store":
                    result = result with { Store = Value(args, ref i) };
                    break;
                case "--jobs":
                    result = result with { Jobs = Positive(args, ref i) };
                    break;
                case "--workers":
                    result = result with { Workers = Positive(args, ref i) };
                    break;
                case "--warmup":
                    result = result with { Warmup = NonNegative(args, ref i) };
                    break;
                case "--repeat":
                    result = result with { Repeat = Positive(args, ref i) };
                    break;
                case "--samples":
                    result = result with { Samples = Positive(args, ref i) };
                    break;
                case "--warmup-rounds":
                    result = result with { WarmupRounds = NonNegative(args, ref i) };
                    break;
                case "--latency-warmup":
                    result = result with { LatencyWarmup = NonNegative(args, ref i) };
                    break;
                case "--pg":
                    result = result with { Pg = Value(args, ref i) };
                    break;
                case "--procs":
                    result = result with { Processes = PositiveList(args, ref i) };
                    break;
                case "--idle-seconds":
                    result = result with { IdleSeconds = Positive(args, ref i) };
                    break;
                case "--role":
                    result = result with { Role = Value(args, ref i) };
                    if (result.Role != "worker")
                        throw new UsageException($"unknown role '{result.Role}'");
                    break;
                case "--schema":
                    result = result with { Schema = Value(args, ref i) };
                    break;
                case "--workload":
                    workloads ??= [];
                    foreach (var name in Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!Workload.Names.Contains(name))
                            throw new UsageException($"unknown workload '{name}'; known: {string.Join(", ", Workload.Names)}");
                        if (!workloads.Contains(name))
                            workloads.Add(name);
                    }
                    break;
                case "-h" or "--help":
                    throw new UsageException(Usage, isHelp: true);
                default:
                    throw new UsageException($"unknown argument '{arg}'\n{Usage}");
            }
        }
        if (workloads is { Count: 0 })
            throw new UsageException("--workload needs at least one name");
        if (result.Role is not null && (result.Pg is null || result.Schema is null))
            throw new UsageException("--role worker needs --pg and --schema");
        if (result.Pg is not null && result.Store != "postgres" && result.Role is null)
            throw new UsageException("--pg is for --store postgres");
        // Run in the canonical order whatever order they were named in.
        return workloads is null ? result : result with { Workloads = Workload.Names.Where(workloads.Contains).ToList() };
    }

    private static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            throw new UsageException($"{args[i]} needs a value");
        return args[++i];
    }

    private static int Positive(string[] args, ref int i)
    {
        var name = args[i];
        var text = Value(args, ref i);
        return int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new UsageException($"{name} must be a positive whole number (is '{text}')");
    }

    private static List<int> PositiveList(string[] args, ref int i)
    {
        var name = args[i];
        var text = Value(args, ref i);
        var list = new List<int>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(item, System.Globalization.CultureInfo.InvariantCulture, out var n) || n <= 0)
                throw new UsageException($"{name} takes positive whole numbers (is '{text}')");
            list.Add(n);
        }
        return list.Count > 0 ? list : throw new UsageException($"{name} needs at least one number");
    }

    private static int NonNegative(string[] args, ref int i)
    {
        var name = args[i];
        var text = Value(args, ref i);
        return int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw new UsageException($"{name} must be zero or a positive whole number (is '{text}')");
    }
}

internal sealed class UsageException(string message, bool isHelp = false) : Exception(message)
{
    public bool IsHelp { get; } = isHelp;
}
