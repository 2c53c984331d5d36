using Conveyor.Routing;

namespace Conveyor.Tests.Routing;

public sealed class JobRouterTests
{
    private static ConveyorOptions Options()
    {
        var o = new ConveyorOptions();
        o.AddQueue("reports").AddQueue("emails").AddQueue("media");
        return o;
    }

    private static JobTypeOptions AddType<TPayload>(ConveyorOptions o, string kind, string? queue = null)
    {
        o.AddJob<TPayload, NoopHandler<TPayload>>(kind, t => t.Queue = queue);
        return o.JobTypes[kind];
    }

    [Fact]
    public void An_explicit_queue_wins_over_the_type_queue_and_the_routes()
    {
        var o = Options();
        var type = AddType<ReportRequest>(o, "report.generate", queue: "reports");
        o.Route("report.*", "media");

        Assert.Equal("emails", new JobRouter(o).Resolve(type, "emails"));
    }

    [Fact]
    public void An_explicit_default_queue_is_honoured()
    {
        var o = Options();
        var type = AddType<ReportRequest>(o, "report.generate", queue: "reports");

        Assert.Equal(ConveyorOptions.DefaultQueueName, new JobRouter(o).Resolve(type, "default"));
    }

    [Fact]
    public void An_unknown_explicit_queue_is_refused_naming_the_field_and_the_configured_queues()
    {
        var o = Options();
        var type = AddType<ReportRequest>(o, "report.generate", queue: "reports");

        var e = Assert.Throws<JobValidationException>(() => new JobRouter(o).Resolve(type, "nowhere"));

        Assert.Equal("queue", e.Field);
        Assert.Contains("'nowhere'", e.Reason, StringComparison.Ordinal);
        Assert.Contains("default, emails, media, reports", e.Reason, StringComparison.Ordinal);
        Assert.StartsWith("queue: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_explicit_queue_is_reported_under_the_given_field()
    {
        var o = Options();
        var type = AddType<ReportRequest>(o, "report.generate");

        var e = Assert.Throws<JobValidationException>(() => new JobRouter(o).Resolve(type, "Reports", "jobs[3].queue"));

        Assert.Equal("jobs[3].queue", e.Field);
    }

    [Fact]
    public void The_type_queue_wins_over_the_routes()
    {
        var o = Options();
        var type = AddType<ReportRequest>(o, "report.generate", queue: "reports");
        o.Route("report.generate", "emails").Route("report.*", "media");

        Assert.Equal("reports", new JobRouter(o).Resolve(type, null));
    }

    [Fact]
    public void The_first_matching_route_wins()
    {
        var o = Options();
        var type = AddType<ReportRequest>(o, "report.generate");
        o.Route("email.*", "emails").Route("report.*", "media").Route("report.generate", "reports");

        Assert.Equal("media", new JobRouter(o).Resolve(type, null));
    }

    [Fact]
    public void An_exact_route_matches_its_kind()
    {
        var o = Options();
        var type = AddType<ReportRequest>(o, "report.generate");
        o.Route("report.generate.pdf", "emails").Route("report.generate", "reports").Route("report.*", "media");

        Assert.Equal("reports", new JobRouter(o).Resolve(type, null));
    }

    [Fact]
    public void Kinds_no_route_matches_go_to_the_default_queue()
    {
        var o = Options();
        var type = AddType<ThumbnailRequest>(o, "thumbnail.make");
        o.Route("report.*", "reports").Route("thumbnail", "media");

        Assert.Equal(ConveyorOptions.DefaultQueueName, new JobRouter(o).Resolve(type, null));
    }

    [Fact]
    public void Without_routes_a_type_without_a_queue_goes_to_the_default_queue()
    {
        var o = Options();
        var type = AddType<ReportRequest>(o, "report.generate");

        Assert.Equal(ConveyorOptions.DefaultQueueName, new JobRouter(o).Resolve(type, null));
    }

    [Theory]
    [InlineData("report.generate", "report.generate")]
    [InlineData("report.*", "report.generate")]
    [InlineData("report.*", "report.")]
    [InlineData("report*", "reports.archive")]
    [InlineData("*", "anything")]
    public void Matches_an_exact_kind_or_a_prefix(string pattern, string kind) =>
        Assert.True(JobRouter.Matches(pattern, kind));

    [Theory]
    [InlineData("report.generate", "report.generate.pdf")]
    [InlineData("report.generate", "report")]
    [InlineData("report.generate", "Report.Generate")]
    [InlineData("report.*", "report")]
    [InlineData("report.*", "reports.generate")]
    [InlineData("report.*", "Report.generate")]
    [InlineData("report.*", "email.send")]
    public void Does_not_match_other_kinds(string pattern, string kind) =>
        Assert.False(JobRouter.Matches(pattern, kind));
}
