using Conveyor.Scheduling;

namespace Conveyor.Tests.Scheduling;

public sealed class CronScheduleTests
{
    private static DateTimeOffset Utc(string instant) => DateTimeOffset.Parse(instant + "Z", System.Globalization.CultureInfo.InvariantCulture);

    private static List<DateTimeOffset> Ticks(string cron, string zone, string from, string to) =>
        [.. CronSchedule.Parse(cron, zone).Between(Utc(from), Utc(to))];

    [Fact]
    public void Five_fields_are_minutes_and_six_fields_start_with_seconds()
    {
        Assert.Equal([Utc("2026-01-01T00:05:00"), Utc("2026-01-01T00:10:00")], Ticks("*/5 * * * *", "UTC", "2026-01-01T00:01:00", "2026-01-01T00:10:00"));
        Assert.Equal([Utc("2026-01-01T00:00:15"), Utc("2026-01-01T00:00:30"), Utc("2026-01-01T00:00:45")],
            Ticks("15/15 * * * * *", "UTC", "2026-01-01T00:00:01", "2026-01-01T00:00:59"));
    }

    [Fact]
    public void Next_is_strictly_after_the_given_instant()
    {
        var schedule = CronSchedule.Parse("0 * * * *", "UTC");
        Assert.Equal(Utc("2026-01-01T01:00:00"), schedule.Next(Utc("2026-01-01T00:00:00")));
        Assert.Null(CronSchedule.Parse("0 0 30 2 *", "UTC").Next(Utc("2026-01-01T00:00:00")));
    }

    [Fact]
    public void Spring_forward_a_skipped_local_time_fires_once_when_the_clocks_jump()
    {
        // Europe/Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC); 02:30 does not exist that day.
        Assert.Equal(
            [Utc("2026-03-28T01:30:00"), Utc("2026-03-29T01:00:00"), Utc("2026-03-30T00:30:00")],
            Ticks("30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00", "2026-03-30T23:00:00"));
    }

    [Fact]
    public void Spring_forward_an_interval_schedule_has_no_ticks_in_the_skipped_hour()
    {
        // Every 30 minutes across the jump: 01:30 CET (00:30 UTC), then 03:00 CEST (01:00 UTC); no 02:xx.
        Assert.Equal(
            [Utc("2026-03-29T00:00:00"), Utc("2026-03-29T00:30:00"), Utc("2026-03-29T01:00:00"), Utc("2026-03-29T01:30:00")],
            Ticks("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:00:00", "2026-03-29T01:30:00"));
    }

    [Fact]
    public void Fall_back_a_daily_time_in_the_repeated_hour_fires_once()
    {
        // Europe/Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:30 happens twice (00:30 and 01:30 UTC).
        Assert.Equal(
            [Utc("2026-10-24T00:30:00"), Utc("2026-10-25T00:30:00"), Utc("2026-10-26T01:30:00")],
            Ticks("30 2 * * *", "Europe/Berlin", "2026-10-24T00:00:00", "2026-10-26T23:00:00"));
    }

    [Fact]
    public void Fall_back_an_interval_schedule_fires_at_every_real_instant_of_the_repeated_hour()
    {
        // 02:00 and 02:30 CEST (00:00, 00:30 UTC), then 02:00 and 02:30 CET (01:00, 01:30 UTC), then 03:00 CET.
        Assert.Equal(
            [Utc("2026-10-25T00:00:00"), Utc("2026-10-25T00:30:00"), Utc("2026-10-25T01:00:00"), Utc("2026-10-25T01:30:00"), Utc("2026-10-25T02:00:00")],
            Ticks("*/30 * * * *", "Europe/Berlin", "2026-10-25T00:00:00", "2026-10-25T02:00:00"));
    }

    [Theory]
    [InlineData("", "cron")]
    [InlineData("* * * *", "cron")]
    [InlineData("* * * * * * *", "cron")]
    [InlineData("61 * * * *", "cron")]
    [InlineData("* * * * mon-xyz", "cron")]
    public void An_invalid_expression_names_the_cron_field(string cron, string field)
    {
        var e = Assert.Throws<JobValidationException>(() => CronSchedule.Parse(cron, "UTC"));
        Assert.Equal(field, e.Field);
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("")]
    public void An_unknown_zone_names_the_time_zone_field(string zone)
    {
        var e = Assert.Throws<JobValidationException>(() => CronSchedule.Parse("* * * * *", zone));
        Assert.Equal("timeZone", e.Field);
    }
}
