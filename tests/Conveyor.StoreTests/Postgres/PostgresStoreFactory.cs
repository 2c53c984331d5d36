using Conveyor.Postgres;
using Conveyor.StoreTests.Infrastructure;
using Npgsql;

namespace Conveyor.StoreTests.Postgres;

/// <summary>
/// A scratch schema per store on the one cluster named by <c>CONVEYOR_TEST_PG</c> (<c>./test.sh</c> starts a throwaway
/// cluster and sets it); every schema this factory handed out is dropped when the test class ends.
/// </summary>
public sealed class PostgresStoreFactory : IStoreFactory
{
    /// <summary>The environment variable that holds the test cluster's connection string.</summary>
    public const string EnvironmentVariable = "CONVEYOR_TEST_PG";

    private readonly List<IJobStore> _stores = [];
    private readonly List<string> _schemas = [];

    public PostgresStoreFactory() => ConnectionString = RequiredConnectionString();

    /// <summary>The test cluster's connection string.</summary>
    public string ConnectionString { get; }

    public string Name => "postgres";

    /// <summary>Why the PostgreSQL tests are skipped when <see cref="EnvironmentVariable"/> is missing.</summary>
    public const string MissingReason =
        EnvironmentVariable + " is not set: the PostgreSQL store tests need a cluster. Run ./test.sh, which starts a throwaway " +
        "PostgreSQL 15 cluster and sets it, or set " + EnvironmentVariable + " to a connection string " +
        "(Host=127.0.0.1;Port=5432;Username=postgres;Database=conveyor_test).";

    public async Task<IJobStore> CreateAsync(TimeProvider time)
    {
        var store = Open(NewLocation(), time);
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    public IJobStore OpenSibling(IJobStore store, TimeProvider time) => Open(((PostgresJobStore)store).Schema, time);

    /// <summary>A store over <paramref name="schema"/> (not migrated), disposed with the factory.</summary>
    public PostgresJobStore Open(string schema, TimeProvider? time = null)
    {
        var store = new PostgresJobStore(new PostgresStoreOptions { ConnectionString = ConnectionString, Schema = schema }, time);
        lock (_stores)
            _stores.Add(store);
        return store;
    }

    /// <summary>A fresh schema name, unique to this test, dropped when the factory is disposed.</summary>
    public string NewLocation()
    {
        var schema = $"t_{Guid.NewGuid():N}";
        lock (_schemas)
            _schemas.Add(schema);
        return schema;
    }

    public void UseStore(ConveyorOptions options, string location) => options.UsePostgres(ConnectionString, o => o.Schema = location);

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
            await store.DisposeAsync();
        if (_schemas.Count == 0)
            return;
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand(string.Join(";", _schemas.Select(s => $"DROP SCHEMA IF EXISTS \"{s}\" CASCADE")), connection);
        await drop.ExecuteNonQueryAsync();
    }

    private static string RequiredConnectionString()
    {
        var connectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        // Classes marked [RequiresEnvironmentVariable] are skipped before they get here; anything else fails loudly.
        return string.IsNullOrWhiteSpace(connectionString) ? throw new InvalidOperationException(MissingReason) : connectionString;
    }
}
