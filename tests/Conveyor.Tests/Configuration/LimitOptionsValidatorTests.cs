using Conveyor.Configuration;

namespace Conveyor.Tests.Configuration;

public sealed class LimitOptionsValidatorTests
{
    private static ConveyorOptions WithJobs()
    {
        var o = new ConveyorOptions();
        o.UseStore(_ => null!);
        o.AddQueue("api");
        o.AddJob<ReportRequest, NoopHandler<ReportRequest>>("report.generate");
        o.AddJob<EmailRequest, NoopHandler<EmailRequest>>("email.send");
        return o;
    }

    private static List<string> Problems(Action<ConveyorOptions> configure)
    {
        var o = WithJobs();
        configure(o);
        return [.. ConveyorOptionsValidator.Problems(o)];
    }

    [Fact]
    public void Limits_on_a_type_and_on_a_queue_with_concurrency_rate_and_partitions_are_valid()
    {
        Assert.Empty(Problems(o => o
            .AddLimit("reports", l => { l.ForJobType("report.generate"); l.MaxRunning = 2; l.PartitionByTenant(); })
            .AddLimit("api-calls", l => { l.ForQueue("api"); l.Rate(100, TimeSpan.FromMinutes(1)); l.PartitionByPayload("accountId"); })
            .AddLimit("emails", l => { l.ForJobType("email.send"); l.MaxRunning = 5; l.Rate(10, TimeSpan.FromSeconds(1)); })));
    }

    [Theory]
    [InlineData("unknown-type", "Limits[x].JobType: job type 'nope' is not registered")]
    [InlineData("unknown-queue", "Limits[x].Queue: queue 'nope' is not configured")]
    [InlineData("no-target", "Limits[x]: call exactly one of ForJobType")]
    [InlineData("both-targets", "Limits[x]: call exactly one of ForJobType")]
    [InlineData("nothing", "Limits[x]: set MaxRunning or call Rate")]
    [InlineData("max-zero", "Limits[x].MaxRunning: must be at least 1")]
    [InlineData("rate-zero", "Limits[x].RateCount: must be at least 1")]
    [InlineData("period-zero", "Limits[x].RatePeriod: must be greater than zero")]
    [InlineData("bad-name", "Limits[X:y]: the name must be")]
    public void A_broken_limit_is_reported_with_its_setting_and_rule(string broken, string expected)
    {
        var problems = Problems(o => o.AddLimit(broken == "bad-name" ? "X:y" : "x", l =>
        {
            switch (broken)
            {
                case "unknown-type": l.ForJobType("nope"); l.MaxRunning = 1; break;
                case "unknown-queue": l.ForQueue("nope"); l.MaxRunning = 1; break;
                case "no-target": l.MaxRunning = 1; break;
                case "both-targets": l.ForQueue("api").ForJobType("email.send"); l.MaxRunning = 1; break;
                case "nothing": l.ForQueue("api"); break;
                case "max-zero": l.ForQueue("api"); l.MaxRunning = 0; break;
                case "rate-zero": l.ForQueue("api"); l.Rate(0, TimeSpan.FromSeconds(1)); break;
                case "period-zero": l.ForQueue("api"); l.Rate(1, TimeSpan.Zero); break;
                default: l.ForQueue("api"); l.MaxRunning = 1; break;
            }
        }));
        Assert.Contains(problems, p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Two_limits_on_one_type_or_one_queue_are_refused_naming_both()
    {
        var problems = Problems(o => o
            .AddLimit("a", l => { l.ForJobType("email.send"); l.MaxRunning = 1; })
            .AddLimit("b", l => { l.ForJobType("email.send"); l.MaxRunning = 2; })
            .AddLimit("c", l => { l.ForQueue("api"); l.MaxRunning = 1; })
            .AddLimit("d", l => { l.ForQueue("api"); l.MaxRunning = 2; }));
        Assert.Equal(
            ["Limits[b].JobType: job type 'email.send' already has limit 'a'; a job is governed by one limit.",
             "Limits[d].Queue: queue 'api' already has limit 'c'; a job is governed by one limit."],
            problems);
    }
}
