using Conveyor.Sqlite;
using Microsoft.Data.Sqlite;

namespace Conveyor.StoreTests.Sqlite;

/// <summary>Versioned migrations of the SQLite store: once, concurrently safe, and refusing a newer schema.</summary>
public sealed class SqliteMigrationTests : IAsyncLifetime
{
    private readonly SqliteStoreFactory _factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task Ten_stores_migrating_one_file_at_once_apply_each_migration_exactly_once()
    {
        var path = _factory.NewLocation();
        var stores = Enumerable.Range(0, 10).Select(_ => new SqliteJobStore(new SqliteStoreOptions { Path = path })).ToList();

        await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync(CancellationToken.None))));

        Assert.Equal(SqliteJobStore.Migrations[^1].Version, await stores[0].SchemaVersionAsync(CancellationToken.None));
        Assert.Equal(SqliteJobStore.Migrations.Count, Scalar(path, "SELECT count(*) FROM conveyor_schema"));
        Assert.Equal("wal", Text(path, "PRAGMA journal_mode"));
        foreach (var store in stores)
            await store.DisposeAsync();
    }

    [Fact]
    public async Task A_database_with_a_newer_schema_is_refused_with_a_clear_message()
    {
        var path = _factory.NewLocation();
        await using (var store = new SqliteJobStore(new SqliteStoreOptions { Path = path }))
            await store.MigrateAsync(CancellationToken.None);
        Scalar(path, "INSERT INTO conveyor_schema (version, name, applied_at) VALUES (99, '0099_future', 0)");

        await using var older = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        var error = await Assert.ThrowsAsync<ConveyorException>(() => older.MigrateAsync(CancellationToken.None));

        Assert.Contains("schema version 99, newer than this build knows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_created_by_an_earlier_run_keeps_its_jobs()
    {
        var path = _factory.NewLocation();
        long id;
        await using (var first = new SqliteJobStore(new SqliteStoreOptions { Path = path }))
        {
            await first.MigrateAsync(CancellationToken.None);
            id = (await first.JobsInsertAsync(new JobsInsertParams([new NewJob { Kind = "k", Queue = "default", Payload = "{}", MaxAttempts = 1, Principal = JobPrincipal.System }]), CancellationToken.None))[0].JobId;
        }

        await using var second = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        await second.MigrateAsync(CancellationToken.None);

        Assert.Equal(JobState.Pending, (await second.JobGetAsync(id, CancellationToken.None))!.State);
    }

    private static long Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : 0;
    }

    private static string Text(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string)command.ExecuteScalar()!;
    }
}
