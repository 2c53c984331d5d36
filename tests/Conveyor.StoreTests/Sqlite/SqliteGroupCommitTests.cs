using Conveyor.Sqlite;
using Microsoft.Data.Sqlite;

namespace Conveyor.StoreTests.Sqlite;

/// <summary>
/// The SQLite store runs write calls that queue up together in one transaction (group commit), each in its own
/// savepoint. These tests hold it to the contract under that sharing: every call stays all-or-nothing on its
/// own, and concurrent claims never hand out a job twice.
/// </summary>
public sealed class SqliteGroupCommitTests : IAsyncLifetime
{
    private readonly SqliteStoreFactory _factory = new();
    private SqliteJobStore _store = null!;

    public async Task InitializeAsync() => _store = (SqliteJobStore)await _factory.CreateAsync(TimeProvider.System);

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task A_failing_call_rolls_back_alone_while_the_calls_sharing_its_transaction_commit()
    {
        await _store.JobsInsertAsync(new JobsInsertParams([Job("{}", "taken")]), CancellationToken.None);

        // Even calls conflict on the idempotency key in their second job; odd calls are fine.
        var calls = Enumerable.Range(0, 60).Select(i => Task.Run(() => _store.JobsInsertAsync(
            new JobsInsertParams([Job($"{{\"i\":{i}}}"), i % 2 == 0 ? Job("{\"other\":1}", "taken") : Job($"{{\"j\":{i}}}")]),
            CancellationToken.None))).ToList();
        var outcomes = await Task.WhenAll(calls.Select(async c =>
        {
            try
            {
                await c;
                return true;
            }
            catch (IdempotencyConflictException)
            {
                return false;
            }
        }));

        Assert.Equal(30, outcomes.Count(ok => ok));
        Assert.Equal(1 + 30 * 2, Count("SELECT count(*) FROM jobs"));
        Assert.Equal(1 + 30 * 2, Count("SELECT count(*) FROM job_events"));
    }

    [Fact]
    public async Task Concurrent_claims_take_every_job_exactly_once()
    {
        await _store.JobsInsertAsync(new JobsInsertParams(Enumerable.Range(0, 300).Select(i => Job($"{{\"i\":{i}}}")).ToList()), CancellationToken.None);

        var claimers = Enumerable.Range(0, 12).Select(w => Task.Run(async () =>
        {
            var mine = new List<long>();
            while (true)
            {
                var claimed = await _store.JobsClaimAsync(new JobsClaimParams("default", 7, $"w{w}", TimeSpan.FromSeconds(30)), CancellationToken.None);
                if (claimed.Count == 0)
                    return mine;
                mine.AddRange(claimed.Select(c => c.Id));
                var applied = await _store.JobsCompleteAsync(new JobsCompleteParams(
                    claimed.Select(c => new JobCompletion { Lease = new JobLease(c.Id, c.LeaseToken), Outcome = JobOutcome.Succeeded, Actor = $"w{w}" }).ToList()), CancellationToken.None);
                Assert.Equal(claimed.Count, applied.Count);
            }
        })).ToList();
        var all = (await Task.WhenAll(claimers)).SelectMany(ids => ids).ToList();

        Assert.Equal(300, all.Count);
        Assert.Equal(300, all.Distinct().Count());
        Assert.Equal(300, Count("SELECT count(*) FROM jobs WHERE state = 4"));
        Assert.Equal(300 * 3, Count("SELECT count(*) FROM job_events"));
    }

    [Fact]
    public async Task A_call_cancelled_while_it_waits_for_the_writer_writes_nothing_or_reports_its_write()
    {
        using var cancel = new CancellationTokenSource();
        var calls = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            try
            {
                await _store.JobsInsertAsync(new JobsInsertParams([Job($"{{\"i\":{i}}}")]), i % 3 == 0 ? cancel.Token : CancellationToken.None);
                return 1;
            }
            catch (OperationCanceledException)
            {
                return 0;
            }
        })).ToList();
        await cancel.CancelAsync();
        var reported = (await Task.WhenAll(calls)).Sum();

        // A cancelled call either never ran or ran and says so; none is written without being reported.
        Assert.Equal(reported, Count("SELECT count(*) FROM jobs"));
    }

    private static NewJob Job(string payload, string? idempotencyKey = null) => new()
    {
        Kind = "test.job",
        Queue = "default",
        Payload = payload,
        MaxAttempts = 3,
        IdempotencyKey = idempotencyKey,
        Principal = JobPrincipal.System,
    };

    private long Count(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_store.Path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
