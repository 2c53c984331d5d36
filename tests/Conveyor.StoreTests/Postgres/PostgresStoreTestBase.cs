using Conveyor.Postgres;
using Npgsql;

namespace Conveyor.StoreTests.Postgres;

/// <summary>A fresh PostgreSQL store (its own scratch schema) per test, and raw SQL against the same cluster.</summary>
public abstract class PostgresStoreTestBase : IAsyncLifetime
{
    private protected PostgresStoreFactory Factory { get; } = new();

    private protected PostgresJobStore Store { get; private set; } = null!;

    public async Task InitializeAsync() => Store = (PostgresJobStore)await Factory.CreateAsync(TimeProvider.System);

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    private protected static async Task ExecAsync(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync();
    }
}
