using System.Globalization;
using Conveyor.Storage;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    private const string MigrationPrefix = "Conveyor.Sqlite.Migrations.";

    /// <summary>The schema versions this build knows, in order: the numeric prefix of each embedded migration.</summary>
    internal static IReadOnlyList<(int Version, string Name, string Sql)> Migrations { get; } =
        EmbeddedSql.Migrations(typeof(SqliteJobStore).Assembly, MigrationPrefix);

    /// <summary>
    /// The schema version this build migrates to: the number of its newest migration. A database at another version
    /// is either older (<see cref="MigrateAsync"/> upgrades it) or newer than this build knows.
    /// </summary>
    public static int LatestSchemaVersion => Migrations[^1].Version;

    /// <inheritdoc />
    /// <exception cref="ConveyorException">The database's schema is newer than this build knows.</exception>
    public Task MigrateAsync(CancellationToken cancellationToken) =>
        // One IMMEDIATE transaction: processes starting together take turns, and the later ones find the work done.
        WriteAsync(now =>
        {
            Exec("CREATE TABLE IF NOT EXISTS conveyor_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
            var current = Convert.ToInt32(Command("SELECT coalesce(max(version), 0) FROM conveyor_schema").ExecuteScalar(), CultureInfo.InvariantCulture);
            var latest = Migrations[^1].Version;
            if (current > latest)
                throw new ConveyorException($"The database '{_options.Path}' has Conveyor schema version {current}, newer than this build knows ({latest}). Upgrade Conveyor before running it against this database.");
            foreach (var (version, name, sql) in Migrations.Where(m => m.Version > current))
            {
                Exec(sql);
                var record = Command("INSERT INTO conveyor_schema (version, name, applied_at) VALUES (@version, @name, @now)");
                record.Parameters.AddWithValue("@version", version);
                record.Parameters.AddWithValue("@name", name);
                record.Parameters.AddWithValue("@now", now);
                record.ExecuteNonQuery();
            }
            return current;
        }, cancellationToken);

    /// <summary>The schema version recorded in the database (0 before the first migration).</summary>
    public async Task<int> SchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        // Two statements, not one CASE: SQLite compiles every branch, so a query naming the table fails where it is missing.
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'conveyor_schema'";
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0)
            return 0;
        command.CommandText = "SELECT coalesce(max(version), 0) FROM conveyor_schema";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
