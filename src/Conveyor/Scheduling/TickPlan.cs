namespace Conveyor.Scheduling;

/// <summary>
/// What one firing of a due schedule does: the ticks that get a job each, and the next fire time to store. Pure: the
/// scheduler passes the store's now.
/// </summary>
/// <param name="Ticks">The ticks that fire, in order; empty when every due tick was missed and dropped.</param>
/// <param name="Next">The first tick after now, or null when the expression never fires again.</param>
/// <param name="MissedAny">True when ticks older than the misfire threshold were due (whatever the policy did with them).</param>
internal sealed record TickPlan(IReadOnlyList<DateTimeOffset> Ticks, DateTimeOffset? Next, bool MissedAny)
{
    /// <summary>
    /// Plans a schedule whose stored next fire time <paramref name="due"/> has come (<paramref name="due"/> &lt;=
    /// <paramref name="now"/>). Ticks within <paramref name="threshold"/> of now are on time and all fire; older ones
    /// were missed and follow <paramref name="misfire"/>. Never enumerates more than the on-time window and
    /// <paramref name="maxCatchUp"/> missed ticks, however long the downtime.
    /// </summary>
    public static TickPlan For(CronSchedule schedule, DateTimeOffset due, DateTimeOffset now, MisfirePolicy misfire, int maxCatchUp, TimeSpan threshold)
    {
        var cutoff = now - threshold;
        var onTime = schedule.Between(due > cutoff ? due : cutoff, now).ToList();
        var missedAny = due < cutoff && schedule.LatestBefore(cutoff, due).Any();
        IEnumerable<DateTimeOffset> missed = !missedAny ? [] : misfire switch
        {
            MisfirePolicy.Skip => [],
            MisfirePolicy.FireOnce => schedule.LatestBefore(cutoff, due).Take(1),
            _ => schedule.LatestBefore(cutoff, due).Take(Math.Max(1, maxCatchUp)).Reverse(),
        };
        return new TickPlan([.. missed, .. onTime], schedule.Next(now), missedAny);
    }
}
