using Conveyor.Configuration;
using Conveyor.Routing;
using Conveyor.Scheduling;
using Conveyor.Storage;

namespace Conveyor.Tests.Scheduling;

public sealed class RecurringValidationTests
{
    private static ConveyorOptions Options()
    {
        var o = new ConveyorOptions();
        o.UseStore(_ => null!);
        o.AddJob<ReportRequest, NoopHandler<ReportRequest>>("report.generate");
        return o;
    }

    [Fact]
    public void A_valid_schedule_has_no_problem()
    {
        var o = Options().AddRecurring("nightly", "0 30 2 * * *", "report.generate", new ReportRequest("r"), r => r.TimeZone = "Europe/Berlin");
        Assert.Empty(ConveyorOptionsValidator.Problems(o));
    }

    [Fact]
    public void Every_broken_schedule_is_reported_at_once_naming_the_schedule_and_the_field()
    {
        var o = Options()
            .AddRecurring("bad-cron", "0 61 * * *", "report.generate", new ReportRequest("r"))
            .AddRecurring("bad-zone", "0 * * * *", "report.generate", new ReportRequest("r"), r => r.TimeZone = "Atlantis/Capital")
            .AddRecurring("bad-kind", "0 * * * *", "report.unknown", new ReportRequest("r"))
            .AddRecurring("bad-payload", "0 * * * *", "report.generate", new[] { 1, 2 })
            .AddRecurring("bad-queue", "0 * * * *", "report.generate", new ReportRequest("r"), r => r.Queue = "nowhere")
            .AddRecurring("bad-catch-up", "0 * * * *", "report.generate", new ReportRequest("r"), r => r.MaxCatchUp = 0)
            .AddRecurring("bad name!", "0 * * * *", "report.generate", new ReportRequest("r"));
        var problems = ConveyorOptionsValidator.Problems(o).ToList();
        Assert.Equal(7, problems.Count);
        Assert.StartsWith("Recurring[bad-cron].cron: '0 61 * * *' is not a valid cron expression", problems[0], StringComparison.Ordinal);
        Assert.StartsWith("Recurring[bad-zone].timeZone: 'Atlantis/Capital' is not a known IANA time zone id", problems[1], StringComparison.Ordinal);
        Assert.StartsWith("Recurring[bad-kind].kind: unknown job type 'report.unknown'", problems[2], StringComparison.Ordinal);
        Assert.StartsWith("Recurring[bad-payload].payload: is not a valid ReportRequest", problems[3], StringComparison.Ordinal);
        Assert.StartsWith("Recurring[bad-queue].queue: unknown queue 'nowhere'", problems[4], StringComparison.Ordinal);
        Assert.StartsWith("Recurring[bad-catch-up].maxCatchUp: must be between 1 and 1000", problems[5], StringComparison.Ordinal);
        Assert.StartsWith("Recurring[bad name!].name:", problems[6], StringComparison.Ordinal);
    }

    [Fact]
    public void A_fired_job_carries_the_limit_key_its_type_puts_on_a_submitted_one()
    {
        var o = Options().AddRecurring("nightly", "0 2 * * *", "report.generate", new ReportRequest("north"));
        o.AddLimit("reports-per-name", l => l.ForJobType("report.generate").PartitionByPayload("name").MaxRunning = 1);
        var recurring = Assert.Single(o.Recurring.Values);

        var job = new ScheduleJobs(o, new JobRouter(o)).Template(recurring.Definition(o.SerializerOptions));

        Assert.Equal("reports-per-name", job.LimitName);
        Assert.Equal("reports-per-name" + LimitDefinition.KeySeparator + "north", job.LimitKey);
    }

    [Fact]
    public void A_name_defined_twice_is_refused_at_once()
    {
        var o = Options().AddRecurring("nightly", "0 2 * * *", "report.generate", new ReportRequest("r"));
        var e = Assert.Throws<ArgumentException>(() => o.AddRecurring("nightly", "0 3 * * *", "report.generate", new ReportRequest("r")));
        Assert.Contains("'nightly' is already defined", e.Message, StringComparison.Ordinal);
    }
}
