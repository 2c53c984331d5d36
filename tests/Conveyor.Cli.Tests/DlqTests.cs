using System.Globalization;

namespace Conveyor.Cli.Tests;

public sealed class DlqTests(CliServer server) : IClassFixture<CliServer>
{
    private static string S(long id) => id.ToString(CultureInfo.InvariantCulture);

    private async Task<long> DeadLetterAsync(string why)
    {
        var id = await server.EnqueueAsync("test.doomed", $$"""{"why":"{{why}}"}""", "--queue", "dlq");
        await server.WaitForStateAsync(id, "failed");
        return id;
    }

    [Fact]
    public async Task Dlq_ls_shows_failed_jobs_with_their_error()
    {
        var id = await DeadLetterAsync("card declined");
        var table = (await server.RunAsync("dlq", "ls", "--queue", "dlq")).AssertSuccess();
        Assert.Equal(["ID", "TYPE", "QUEUE", "ATTEMPTS", "FAILED", "LAST", "ERROR"], table.OutLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var row = Assert.Single(table.OutLines, l => l.TrimStart().StartsWith(S(id) + " ", StringComparison.Ordinal));
        Assert.EndsWith("card declined", row);

        var json = (await server.RunAsync("dlq", "ls", "--type", "test.doomed", "--json")).AssertSuccess().Json();
        Assert.Contains(json.GetProperty("jobs").EnumerateArray(), j => j.GetProperty("id").GetInt64() == id);
    }

    [Fact]
    public async Task Dlq_retry_by_ids_and_all()
    {
        var a = await DeadLetterAsync("a");
        var b = await DeadLetterAsync("b");
        var retried = (await server.RunAsync("dlq", "retry", S(a), S(b))).AssertSuccess();
        Assert.Equal($"requeued 2 jobs: {S(a)}, {S(b)}", retried.Out.Trim());
        await server.WaitForStateAsync(a, "failed");
        await server.WaitForStateAsync(b, "failed");

        var all = (await server.RunAsync("dlq", "retry", "--all", "--queue", "dlq", "--type", "test.doomed", "--json")).AssertSuccess().Json();
        var requeued = all.GetProperty("requeued").EnumerateArray().Select(e => e.GetInt64()).ToList();
        Assert.Contains(a, requeued);
        Assert.Contains(b, requeued);

        var fine = await server.EnqueueAsync("test.echo", """{"text":"ok"}""", "--wait");
        (await server.RunAsync("dlq", "retry", S(fine)))
            .AssertError(ExitCodes.Failure, $"conveyor: 1 job not requeued ({S(fine)}): not found, not visible to this key, or not dead-lettered");
        (await server.RunAsync("dlq", "retry")).AssertError(ExitCodes.Usage, "conveyor: give job ids or --all");
        (await server.RunAsync("dlq", "retry", "1", "--queue", "dlq")).AssertError(ExitCodes.Usage, "conveyor: --queue and --type go with --all");
    }
}
