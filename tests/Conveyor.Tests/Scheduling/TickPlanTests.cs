using Conveyor.Scheduling;

namespace Conveyor.Tests.Scheduling;

public sealed class TickPlanTests
{
    private static readonly TimeSpan Threshold = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CronSchedule Minutely = CronSchedule.Parse("* * * * *", "UTC");

    private static TickPlan Plan(MisfirePolicy policy, TimeSpan late, int maxCatchUp = 10) =>
        TickPlan.For(Minutely, Start, Start + late, policy, maxCatchUp, Threshold);

    [Theory]
    [InlineData(MisfirePolicy.Skip)]
    [InlineData(MisfirePolicy.FireOnce)]
    [InlineData(MisfirePolicy.FireEach)]
    public void A_tick_within_the_threshold_fires_whatever_the_policy(MisfirePolicy policy)
    {
        var plan = Plan(policy, TimeSpan.FromSeconds(3));
        Assert.Equal([Start], plan.Ticks);
        Assert.Equal(Start.AddMinutes(1), plan.Next);
        Assert.False(plan.MissedAny);
    }

    [Fact]
    public void Skip_drops_missed_ticks_and_fires_only_those_on_time()
    {
        // Ten minutes down: ticks 00:00..00:08 are missed, 00:09 and 00:10 are within a minute of now.
        var plan = Plan(MisfirePolicy.Skip, TimeSpan.FromMinutes(10));
        Assert.Equal([Start.AddMinutes(9), Start.AddMinutes(10)], plan.Ticks);
        Assert.True(plan.MissedAny);
        Assert.Equal(Start.AddMinutes(11), plan.Next);
    }

    [Fact]
    public void FireOnce_collapses_the_missed_ticks_into_the_latest()
    {
        var plan = Plan(MisfirePolicy.FireOnce, TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(30));
        Assert.Equal([Start.AddMinutes(9), Start.AddMinutes(10)], plan.Ticks);
        var longAgo = Plan(MisfirePolicy.FireOnce, TimeSpan.FromDays(3) + TimeSpan.FromSeconds(90));
        Assert.Equal([Start.AddDays(3), Start.AddDays(3).AddMinutes(1)], longAgo.Ticks);
    }

    [Fact]
    public void FireEach_fires_the_latest_missed_ticks_up_to_the_bound()
    {
        var plan = Plan(MisfirePolicy.FireEach, TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(30), maxCatchUp: 3);
        Assert.Equal([Start.AddMinutes(7), Start.AddMinutes(8), Start.AddMinutes(9), Start.AddMinutes(10)], plan.Ticks);
        var few = Plan(MisfirePolicy.FireEach, TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(30), maxCatchUp: 10);
        Assert.Equal([Start, Start.AddMinutes(1), Start.AddMinutes(2), Start.AddMinutes(3)], few.Ticks);
    }

    [Fact]
    public void A_year_of_missed_per_second_ticks_is_planned_without_enumerating_them()
    {
        var perSecond = CronSchedule.Parse("* * * * * *", "UTC");
        var now = Start.AddDays(365);
        var plan = TickPlan.For(perSecond, Start, now, MisfirePolicy.FireEach, 5, Threshold);
        // Five missed ticks just before the threshold, then the 61 on-time ticks of the last minute.
        Assert.Equal(66, plan.Ticks.Count);
        Assert.Equal(now - Threshold - TimeSpan.FromSeconds(5), plan.Ticks[0]);
        Assert.Equal(now, plan.Ticks[^1]);
        Assert.Equal(now.AddSeconds(1), plan.Next);
    }
}
