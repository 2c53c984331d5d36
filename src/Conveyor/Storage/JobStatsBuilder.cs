namespace Conveyor.Storage;

/// <summary>
/// Assembles a <see cref="JobStats"/> from the rows a store's statistics queries return, so that every store reports
/// the same shape: every state present overall, only present states per kind, kinds in ordinal order. For store authors.
/// </summary>
public sealed class JobStatsBuilder
{
    private static readonly DurationStats NoDurations = new(0, null, null);

    private readonly Dictionary<JobState, long> _states = Enum.GetValues<JobState>().ToDictionary(s => s, _ => 0L);
    private readonly SortedDictionary<string, Dictionary<JobState, long>> _kinds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DurationStats> _kindDurations = new(StringComparer.Ordinal);
    private DurationStats _durations = NoDurations;

    /// <summary>Adds <paramref name="count"/> jobs of <paramref name="kind"/> in <paramref name="state"/> (as reported: scheduled told apart from pending).</summary>
    public void AddCount(string kind, JobState state, long count)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (count == 0)
            return;
        _states[state] += count;
        if (!_kinds.TryGetValue(kind, out var states))
            _kinds[kind] = states = [];
        states[state] = states.GetValueOrDefault(state) + count;
    }

    /// <summary>
    /// Sets the run times of one kind, or of all kinds when <paramref name="kind"/> is null: how many were measured,
    /// their sum and their nearest-rank 95th percentile, in microseconds (the sum and percentile are null when none was).
    /// </summary>
    public void SetDurations(string? kind, long count, long? sumMicros, long? p95Micros)
    {
        var durations = count == 0 || sumMicros is null
            ? NoDurations
            : new DurationStats(count, TimeSpan.FromTicks(sumMicros.Value / count * 10), p95Micros is { } p ? TimeSpan.FromTicks(p * 10) : null);
        if (kind is null)
            _durations = durations;
        else
            _kindDurations[kind] = durations;
    }

    /// <summary>The statistics, with <paramref name="stuck"/> running jobs whose lease expired.</summary>
    public JobStats Build(long stuck) => new(
        new Dictionary<JobState, long>(_states),
        [.. _kinds.Select(k => new KindStats(k.Key, k.Value, _kindDurations.GetValueOrDefault(k.Key, NoDurations)))],
        stuck,
        _durations);
}
