using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Conveyor.StoreTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Conveyor.StoreTests.Postgres;

/// <summary>
/// Four worker processes (<c>tests/Conveyor.ProcessWorker</c> in schedule mode) on one PostgreSQL schema all run the
/// scheduler of the same per-second schedule for several seconds of real time: every tick between the first and the
/// last fired exactly once.
/// </summary>
[Collection(MultiProcessCollection.Name)]
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresScheduleProcessesTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int ProcessCount = 4;
    private const int Ticks = 8;
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    private readonly PostgresStoreFactory _factory = new();
    private readonly List<PostgresMultiProcessTests.WorkerProcess> _workers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
            worker.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task Four_processes_fire_each_tick_of_a_per_second_schedule_exactly_once()
    {
        var schema = _factory.NewLocation();
        await MigrateAsync(schema);
        await using var db = new NpgsqlConnection(_factory.ConnectionString);
        await db.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE TABLE \"{schema}\".effects (job_id bigint NOT NULL, attempt int NOT NULL, worker text NOT NULL)", db))
            await create.ExecuteNonQueryAsync();

        for (var i = 0; i < ProcessCount; i++)
        {
            var connection = new NpgsqlConnectionStringBuilder(_factory.ConnectionString) { MaxPoolSize = 10, ApplicationName = $"scheduler-{i}" }.ConnectionString;
            _workers.Add(PostgresMultiProcessTests.WorkerProcess.Start(
                ["--connection", connection, "--schema", schema, "--worker-id", $"scheduler-{i}", "--concurrency", "4", "--failure-rate", "0", "--schedule", "* * * * * *"]));
        }
        await WaitUntilAsync(async () => _workers.All(w => w.IsReady), "every process is ready");
        // Count only ticks after all four run, so that every counted tick was raced for by all of them.
        var from = await ScalarAsync<DateTime>(db, "SELECT clock_timestamp()");
        await WaitUntilAsync(async () => await ScalarAsync<long>(db, $"SELECT count(*) FROM \"{schema}\".jobs WHERE run_at > '{from:O}'") >= Ticks, $"{Ticks} ticks fired");
        foreach (var worker in _workers)
            worker.Dispose();

        var keys = new List<string>();
        await using (var read = new NpgsqlCommand($"SELECT idempotency_key FROM \"{schema}\".jobs WHERE schedule_name = 'every-tick' ORDER BY id", db))
        await using (var r = await read.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
                keys.Add(r.GetString(0));
        }
        output.WriteLine($"{keys.Count} jobs fired: {keys[0]} .. {keys[^1]}");
        ScheduleTicks.AssertEachTickOnce(keys, "every-tick");
        Assert.True(keys.Count >= Ticks);
    }

    private async Task MigrateAsync(string schema)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddConveyor(o =>
        {
            _factory.UseStore(o, schema);
            o.RunWorkers = false;
        });
        using var host = builder.Build();
        await host.Services.GetRequiredService<IJobClient>().GetAsync(0);
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > Deadline)
                throw new Xunit.Sdk.XunitException($"Not reached within {Deadline}: {what}.\n" + string.Join("\n", _workers.Select(w => w.Describe())));
            // A condition wait on other processes: read again shortly.
            await Task.Delay(100);
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), CultureInfo.InvariantCulture);
    }
}
