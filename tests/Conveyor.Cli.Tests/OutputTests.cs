using Conveyor.Cli.Commands;
using Conveyor.Cli.Http;
using Conveyor.Cli.Output;

namespace Conveyor.Cli.Tests;

/// <summary>The pieces without a server: tables, the progress line, the event-stream parser, durations, error lines.</summary>
public sealed class OutputTests
{
    [Fact]
    public void Table_aligns_columns_and_right_aligns_numbers()
    {
        var table = new Table("ID", "NAME", "COUNT").AlignRight("ID", "COUNT");
        table.Add(7, "short", 1L);
        table.Add(1234, null, 100L);
        var output = new StringWriter();
        table.WriteTo(output);
        Assert.Equal("""
              ID  NAME   COUNT
               7  short      1
            1234  -        100

            """.ReplaceLineEndings(), output.ToString());
    }

    [Fact]
    public void Progress_messages_split_into_percent_and_detail()
    {
        Assert.Equal((40d, "render · page 2"), ProgressLine.ParseProgress("40% · render · page 2"));
        Assert.Equal((12.5d, ""), ProgressLine.ParseProgress("12.5%"));
        Assert.Equal(((double?)null, "render · page 2"), ProgressLine.ParseProgress("render · page 2"));
        Assert.Equal(((double?)null, ""), ProgressLine.ParseProgress(null));
    }

    [Fact]
    public async Task The_progress_line_shows_a_snooze_with_its_message()
    {
        var output = new StringWriter();
        var line = new ProgressLine(output, redraw: false, jobId: 9);

        await line.ApplyAsync(new EventModel(1, 9, "sync", "default", DateTimeOffset.UnixEpoch, "snoozed", 1, "worker-1", "Snoozed for 00:05:00; the attempt is not charged."));

        Assert.Equal("job 9  [........................]   -%  snoozed  Snoozed for 00:05:00; the attempt is not charged.", line.Render());
    }

    [Fact]
    public void Server_sent_events_parse_with_ids_types_multi_line_data_and_comments()
    {
        var parser = new ServerSentEventParser();
        string[] lines = [": connected", "", "id: 5", "event: progress", "data: {\"a\":1,", "data: \"b\":2}", "", ": keep-alive", "", "data: plain", ""];
        var events = lines.Select(parser.Feed).Where(e => e is not null).ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal(new ServerSentEvent(5, "progress", "{\"a\":1,\n\"b\":2}"), events[0]);
        Assert.Equal(new ServerSentEvent(5, "message", "plain"), events[1]);   // the last id carries over, as the standard says
    }

    [Theory]
    [InlineData("90", 90)]
    [InlineData("1.5", 1.5)]
    [InlineData("10s", 10)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("2d", 172800)]
    public void Durations_parse(string text, double seconds) => Assert.Equal(seconds, CommonArguments.ParseSeconds(text, "delay"));

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("5w")]
    [InlineData("m")]
    public void Bad_durations_are_usage_errors(string text) =>
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => CommonArguments.ParseSeconds(text, "delay")).ExitCode);

    [Fact]
    public void Problem_answers_become_one_line_per_status()
    {
        var invalid = ApiErrors.FromAnswer(400, "Bad Request", """{"title":"The request is invalid","detail":"priority: must be one of critical, high, normal, low.","field":"priority","reason":"must be one of critical, high, normal, low."}""", null, true);
        Assert.Equal((ExitCodes.Usage, "priority: must be one of critical, high, normal, low (400)"), (invalid.ExitCode, invalid.Message));
        var conflict = ApiErrors.FromAnswer(409, "Conflict", """{"detail":"Job 5 is running; only failed jobs can be requeued."}""", "job 5", true);
        Assert.Equal((ExitCodes.Failure, "job 5 is running; only failed jobs can be requeued (409)"), (conflict.ExitCode, conflict.Message));
        var gateway = ApiErrors.FromAnswer(502, "Bad Gateway", "<html>proxy error</html>", null, true);
        Assert.Equal((ExitCodes.Failure, "the server failed: 502 Bad Gateway"), (gateway.ExitCode, gateway.Message));
        Assert.Equal("SqliteJobStore does not keep API keys", ApiErrors.Sentence("SqliteJobStore does not keep API keys."));
    }

    [Fact]
    public void Store_settings_are_shown_without_secrets() =>
        Assert.Equal("postgres:Host=db;Database=jobs", StoreSetting.Describe("postgres:Host=db;Username=u;Password=hunter2;Database=jobs"));
}
