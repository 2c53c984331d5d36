using System.Globalization;
using Conveyor.Storage;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    private const string MigrationPrefix = "Conveyor.Postgres.Migrations.";

    /// <summary>The schema versions this build knows, in order: the numeric prefix of each embedded migration.</summary>
    internal static IReadOnlyList<(int Version, string Name, string Sql)> Migrations { get; } =
        EmbeddedSql.Migrations(typeof(PostgresJobStore).Assembly, MigrationPrefix);

    /// <summary>
    /// The schema version this build migrates to: the number of its newest migration. A database at another version
    /// is either older (<see cref="MigrateAsync"/> upgrades it) or newer than this build knows.
    /// </summary>
    public static int LatestSchemaVersion => Migrations[^1].Version;

    /// <inheritdoc />
    /// <remarks>
    /// One transaction under a transaction-scoped advisory lock derived from the schema name: nodes starting
    /// together take turns, and the later ones find the work done. Creates the schema when it is missing. Also
    /// starts the listening connection (unless <see cref="PostgresStoreOptions.Listen"/> is off).
    /// </remarks>
    /// <exception cref="ConveyorException">The database's schema is newer than this build knows.</exception>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using (var connection = await OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await using (var lockCommand = CommandFor(connection, "SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", transaction))
            {
                lockCommand.Parameters.AddWithValue("key", $"conveyor:{Schema}:migrate");
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }
            await using (var create = CommandFor(connection, _sql.Fill(
                "CREATE SCHEMA IF NOT EXISTS {schema}; " +
                "CREATE TABLE IF NOT EXISTS {schema}.conveyor_schema (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)"), transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            var current = await CurrentVersionAsync(connection, transaction, cancellationToken);
            var latest = Migrations[^1].Version;
            if (current > latest)
                throw new ConveyorException($"The PostgreSQL schema '{Schema}' has Conveyor schema version {current}, newer than this build knows ({latest}). Upgrade Conveyor before running it against this database.");
            foreach (var (version, name, sql) in Migrations.Where(m => m.Version > current))
            {
                await using (var apply = CommandFor(connection, _sql.Fill(sql), transaction))
                    await apply.ExecuteNonQueryAsync(cancellationToken);
                await using var record = CommandFor(connection, _sql.Fill("INSERT INTO {schema}.conveyor_schema (version, name, applied_at) VALUES (@version, @name, {now})"), transaction);
                record.Parameters.AddWithValue("version", version);
                record.Parameters.AddWithValue("name", name);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <summary>The schema version recorded in the database (0 before the first migration).</summary>
    public async Task<int> SchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var exists = CommandFor(connection, "SELECT to_regclass(@table) IS NOT NULL");
        exists.Parameters.AddWithValue("table", _sql.Fill("{schema}.conveyor_schema"));
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken))! ? await CurrentVersionAsync(connection, null, cancellationToken) : 0;
    }

    private async Task<int> CurrentVersionAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = CommandFor(connection, _sql.Fill("SELECT coalesce(max(version), 0) FROM {schema}.conveyor_schema"), transaction);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
