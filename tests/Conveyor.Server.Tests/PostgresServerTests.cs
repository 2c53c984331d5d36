using System.Net;

namespace Conveyor.Server.Tests;

/// <summary>
/// Two servers on one PostgreSQL schema, as two nodes of a fleet: a job submitted through one and run by whichever
/// claims it is followed live through the other, and a key created on one works on both.
/// </summary>
public sealed class PostgresServerTests
{
    private static string ConnectionString => Environment.GetEnvironmentVariable("CONVEYOR_TEST_PG")
        ?? throw new InvalidOperationException("CONVEYOR_TEST_PG is not set: run the tests through ./test.sh, which starts PostgreSQL.");

    [Fact]
    public async Task A_job_submitted_through_one_node_is_streamed_to_its_end_by_another()
    {
        var schema = $"srv_{Guid.NewGuid():N}"[..20];
        string[] settings = [$"--Conveyor:Store=postgres:{ConnectionString}", $"--Conveyor:Postgres:Schema={schema}"];
        await using var first = await ServerFixture.StartAsync(settings);
        await using var second = await ServerFixture.StartAsync(settings, bootstrapKey: false);

        // The key the first node bootstrapped lives in the shared store: the second node accepts it.
        using var viaFirst = first.Admin();
        using var viaSecond = second.Client(first.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await viaSecond.GetAsync("/v1/jobs")).StatusCode);

        for (var i = 0; i < 3; i++)
        {
            var id = (await (await viaFirst.PostJsonAsync("/v1/jobs", $$$"""{"type":"test.echo","payload":{"text":"pg {{{i}}}"}}""")).JsonAsync()).GetProperty("id").GetInt64();
            using var stream = await SseReader.OpenAsync(viaSecond, $"/v1/jobs/{id}/stream");
            var kinds = new List<string>();
            while (kinds.LastOrDefault() != "succeeded")
                kinds.Add((await stream.NextAsync()).Event);
            Assert.Equal(["enqueued", "started", "progress", "succeeded"], kinds);
        }
        var job = await (await viaSecond.GetAsync("/v1/jobs?state=succeeded")).JsonAsync();
        Assert.Equal(3, job.GetProperty("jobs").GetArrayLength());
    }
}
