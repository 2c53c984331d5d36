namespace Conveyor;

/// <summary>How a recurring schedule fires: its time zone, where its jobs go, and its misfire and overlap policies.</summary>
public sealed class RecurringOptions
{
    /// <summary>The largest <see cref="MaxCatchUp"/>.</summary>
    public const int MaxCatchUpLimit = 1000;

    /// <summary>
    /// The IANA time zone id the cron expression is read in (for example <c>Europe/Berlin</c>); daylight-saving
    /// transitions follow the zone's rules (docs/contract.md, schedules). Default <c>UTC</c>.
    /// </summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>The queue of the schedule's jobs. Default null: the job type's queue or routing, as for any submission.</summary>
    public string? Queue { get; set; }

    /// <summary>The priority of the schedule's jobs. Default null: the job type's priority.</summary>
    public JobPriority? Priority { get; set; }

    /// <summary>What happens to ticks missed during downtime. Default <see cref="MisfirePolicy.FireOnce"/>.</summary>
    public MisfirePolicy Misfire { get; set; } = MisfirePolicy.FireOnce;

    /// <summary>With <see cref="MisfirePolicy.FireEach"/>, the most missed ticks that fire after downtime (the latest ones). Default 10; 1 to 1000.</summary>
    public int MaxCatchUp { get; set; } = 10;

    /// <summary>Whether a tick fires while the previous firing's job has not finished. Default <see cref="OverlapPolicy.Allow"/>.</summary>
    public OverlapPolicy Overlap { get; set; } = OverlapPolicy.Allow;
}
