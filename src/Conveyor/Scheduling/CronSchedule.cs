using Cronos;

namespace Conveyor.Scheduling;

/// <summary>
/// A parsed cron expression read in a time zone: the one place that turns a schedule into instants. Pure (no clock,
/// no store); Cronos does the calendar and daylight-saving arithmetic.
/// </summary>
/// <remarks>
/// Five fields (<c>minute hour day month weekday</c>) or six (a leading <c>second</c>), or a Cronos macro such as
/// <c>@daily</c>. Daylight saving, as Cronos defines it: a local time that does not exist (the hour skipped in spring)
/// fires once at the instant the clocks jump; a local time that occurs twice (the hour repeated in autumn) fires once,
/// at its first occurrence, unless the expression steps through that hour by an interval or wildcard
/// (<c>*/30 * * * *</c>, <c>0 * * * *</c>), which fires at every real instant.
/// </remarks>
internal sealed class CronSchedule
{
    private readonly CronExpression _expression;

    private CronSchedule(CronExpression expression, TimeZoneInfo zone) => (_expression, Zone) = (expression, zone);

    /// <summary>The zone the expression is read in.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>Parses <paramref name="cron"/> in the zone <paramref name="timeZone"/> (an IANA id).</summary>
    /// <exception cref="JobValidationException">The expression or the zone is not valid; the field is <c>cron</c> or <c>timeZone</c>.</exception>
    public static CronSchedule Parse(string? cron, string? timeZone)
    {
        var expression = ParseExpression(cron);
        return new CronSchedule(expression, FindZone(timeZone));
    }

    /// <summary>The first tick strictly after <paramref name="after"/>, or null when the expression never fires again.</summary>
    public DateTimeOffset? Next(DateTimeOffset after) => _expression.GetNextOccurrence(after, Zone, inclusive: false)?.ToUniversalTime();

    /// <summary>The ticks from <paramref name="from"/> to <paramref name="to"/>, both inclusive, in order.</summary>
    public IEnumerable<DateTimeOffset> Between(DateTimeOffset from, DateTimeOffset to) =>
        from > to ? [] : _expression.GetOccurrences(from, to, Zone, fromInclusive: true, toInclusive: true).Select(t => t.ToUniversalTime());

    /// <summary>The ticks before <paramref name="before"/> (exclusive) down to <paramref name="from"/> (inclusive), latest first.</summary>
    public IEnumerable<DateTimeOffset> LatestBefore(DateTimeOffset before, DateTimeOffset from) =>
        from >= before ? [] : _expression.GetOccurrencesDescending(before, from, Zone, fromInclusive: false, toInclusive: true).Select(t => t.ToUniversalTime());

    private static CronExpression ParseExpression(string? cron)
    {
        if (string.IsNullOrWhiteSpace(cron))
            throw new JobValidationException("cron", "is required: five fields (minute hour day month weekday) or six (second first).");
        var fields = cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        var format = fields switch
        {
            5 => CronFormat.Standard,
            6 => CronFormat.IncludeSeconds,
            1 when cron.TrimStart().StartsWith('@') => CronFormat.Standard,
            _ => throw new JobValidationException("cron", $"'{cron}' has {fields} fields; give five (minute hour day month weekday) or six (second minute hour day month weekday)."),
        };
        try
        {
            return CronExpression.Parse(cron.Trim(), format);
        }
        catch (CronFormatException e)
        {
            throw new JobValidationException("cron", $"'{cron}' is not a valid cron expression: {e.Message}");
        }
    }

    private static TimeZoneInfo FindZone(string? timeZone)
    {
        if (string.IsNullOrWhiteSpace(timeZone))
            throw new JobValidationException("timeZone", "is required: an IANA time zone id such as 'UTC' or 'Europe/Berlin'.");
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new JobValidationException("timeZone", $"'{timeZone}' is not a known IANA time zone id (for example 'UTC' or 'Europe/Berlin').");
        }
    }
}
