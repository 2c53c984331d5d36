using System.Diagnostics;
using Conveyor.StoreTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Conveyor.StoreTests.Postgres;

/// <summary>
/// Bulk enqueue: a batch is one multi-row statement (the jobs from <c>unnest</c> of parameter arrays, their enqueued
/// events and the NOTIFY in CTEs of the same statement), so 10,000 jobs cost one round trip.
/// </summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresBulkInsertTests(ITestOutputHelper output) : PostgresStoreTestBase
{
    [Fact]
    public async Task Ten_thousand_jobs_go_in_with_their_enqueued_events_in_one_statement()
    {
        const int count = 10_000;
        var batch = Enumerable.Range(0, count).Select(i => new NewJob
        {
            Kind = "bulk",
            Queue = i % 2 == 0 ? "even" : "odd",
            Payload = $"{{\"n\":{i}}}",
            MaxAttempts = 3,
            Principal = JobPrincipal.For($"user-{i % 7}", null),
            Tags = [$"t{i % 3}"],
        }).ToList();

        var clock = Stopwatch.StartNew();
        var results = await Store.JobsInsertAsync(new JobsInsertParams(batch), CancellationToken.None);
        output.WriteLine($"{count} jobs in one call: {clock.ElapsedMilliseconds} ms");

        Assert.Equal(count, results.Count);
        Assert.All(results, r => Assert.False(r.Existing));
        var ids = results.Select(r => r.JobId).ToList();
        Assert.Equal(Enumerable.Range(0, count).Select(i => ids[0] + i), ids); // ids follow batch order
        await using var connection = new NpgsqlConnection(Factory.ConnectionString);
        await connection.OpenAsync();
        // One statement reads the clock once: every row and every event carries the same instant.
        await using var read = new NpgsqlCommand($$"""
            SELECT (SELECT count(*) FROM "{{Store.Schema}}".jobs),
                   (SELECT count(DISTINCT created_at) FROM "{{Store.Schema}}".jobs),
                   (SELECT count(*) FROM "{{Store.Schema}}".job_events AS e JOIN "{{Store.Schema}}".jobs AS j
                      ON j.id = e.job_id AND e.kind = 0 AND e.attempt = 0 AND e.at = j.created_at AND e.actor = j.user_id),
                   (SELECT count(*) FROM "{{Store.Schema}}".job_events),
                   (SELECT count(*) FROM "{{Store.Schema}}".jobs WHERE payload = '{"n":' || (id - {{ids[0]}}) || '}'
                      AND queue = CASE WHEN (id - {{ids[0]}}) % 2 = 0 THEN 'even' ELSE 'odd' END)
            """, connection);
        await using var r = await read.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync());
        Assert.Equal((count, 1L, count, count, count), (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4)));
    }
}
