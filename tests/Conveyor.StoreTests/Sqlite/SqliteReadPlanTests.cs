using Microsoft.Data.Sqlite;
using SqliteSql = Conveyor.Sqlite.SqlText;

namespace Conveyor.StoreTests.Sqlite;

/// <summary>
/// The reads for the server stay off the full jobs table where they can: queue counts come from the partial indexes of
/// live and failed jobs, stuck jobs from jobs_lease, durations from jobs_finished, the feed from the two primary keys.
/// (Counting jobs by state for the statistics reads every job by nature.) So do the counts of the queue and tenant
/// bounds, which run inside an insert: one range of jobs_claim, and of jobs_tenant_waiting alone (for the default tenant,
/// the whole of jobs_claim less the whole of jobs_tenant_waiting); and the lookup of a
/// unique key, one range of jobs_unique. The limits' listing reads the two partial indexes of limited jobs.
/// </summary>
public sealed class SqliteReadPlanTests : IAsyncLifetime
{
    private readonly SqliteStoreFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Theory]
    [InlineData("QueuesList", "jobs_claim,jobs_lease,jobs_awaiting,jobs_failed")]
    [InlineData("StatsStuck", "jobs_lease")]
    [InlineData("StatsDurations", "jobs_finished")]
    [InlineData("EventsFeed", "INTEGER PRIMARY KEY")]
    [InlineData("TenantWaitingCount", "COVERING INDEX jobs_tenant_waiting (tenant=?),SCAN jobs USING COVERING INDEX jobs_claim,SCAN jobs USING COVERING INDEX jobs_tenant_waiting")]
    [InlineData("QueueWaitingCount", "jobs_claim (queue=?)")]
    [InlineData("UniqueFind", "jobs_unique (tenant=? AND unique_key=? AND created_at>?)")]
    [InlineData("LimitsList", "jobs_limit_waiting (limit_name=?),jobs_limit_running,limit_starts_key")]
    public async Task A_server_read_uses_its_indexes_and_scans_no_table(string block, string uses)
    {
        var store = (Conveyor.Sqlite.SqliteJobStore)await _factory.CreateAsync(TimeProvider.System);
        using var connection = new SqliteConnection($"Data Source={store.Path};Pooling=False");
        connection.Open();
        using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + SqliteSql.Get(block);
        foreach (var name in new[] { "@now", "@tenant", "@user", "@window", "@after", "@limit", "@queue", "@key", "@period" })
            explain.Parameters.AddWithValue(name, name is "@tenant" or "@user" ? DBNull.Value : name is "@queue" ? "q" : 1);
        var plan = new List<string>();
        using (var r = explain.ExecuteReader())
        {
            while (r.Read())
                plan.Add(r.GetString(3));
        }

        var text = string.Join("\n", plan);
        foreach (var index in uses.Split(','))
            Assert.Contains(index, text, StringComparison.Ordinal);
        Assert.DoesNotContain(plan, line => line is "SCAN jobs" or "SCAN job_events" or "SCAN e" or "SCAN j");
    }
}
