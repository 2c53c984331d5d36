using System.Globalization;
using System.Runtime.CompilerServices;
using Conveyor.Sqlite;
using Microsoft.Data.Sqlite;

namespace Conveyor.Cli.StoreCopy;

/// <summary>
/// A SQLite store file. As a source it is opened read-only (the file is never written, and a missing one is not
/// created) and read inside one transaction, so every table comes from the same moment; as a destination it is written
/// in one <c>BEGIN IMMEDIATE</c> transaction through one prepared insert per table.
/// </summary>
internal sealed class SqliteEndpoint(string path) : CopyEndpoint<SqliteConnection, SqliteTransaction>
{
    private bool _asSource;

    public override string Shown => $"sqlite:{path}";

    public override int LatestSchemaVersion => SqliteJobStore.LatestSchemaVersion;

    private SqliteConnection Connection => OpenConnection ?? throw new InvalidOperationException("The SQLite store is not open.");

    public override async Task OpenAsync(bool asSource, CancellationToken cancellationToken)
    {
        // A source must exist; a destination is created by its migration, so only its directory must.
        if (asSource && !File.Exists(path))
            throw new CliException(ExitCodes.Unreachable, $"cannot open {Shown}: no such file");
        if (!asSource && Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory && !Directory.Exists(directory))
            throw new CliException(ExitCodes.Unreachable, $"cannot open {Shown}: no directory {directory}");
        _asSource = asSource;
        OpenConnection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = asSource ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            await OpenConnection.OpenAsync(cancellationToken);
        }
        catch (SqliteException e)
        {
            throw new CliException(ExitCodes.Unreachable, $"cannot open {Shown} ({Http.ApiErrors.Sentence(e.Message)})");
        }
    }

    public override async Task<int> SchemaVersionAsync(CancellationToken cancellationToken)
    {
        if (await ScalarAsync("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'conveyor_schema'", cancellationToken) is 0L)
            return 0;
        return Convert.ToInt32(await ScalarAsync("SELECT coalesce(max(version), 0) FROM conveyor_schema", cancellationToken), CultureInfo.InvariantCulture);
    }

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var store = new SqliteJobStore(new SqliteStoreOptions { Path = path });
        await store.MigrateAsync(cancellationToken);
    }

    public override Task BeginAsync(CancellationToken cancellationToken)
    {
        // A read-only connection's deferred transaction holds its snapshot from its first read on; a writer's IMMEDIATE
        // one takes the write lock at once, so a server started by mistake meanwhile waits instead of interleaving.
        Transaction = Connection.BeginTransaction(deferred: _asSource);
        return Task.CompletedTask;
    }

    public override async Task<IReadOnlyDictionary<string, TableShape>> TablesAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using (var list = Command("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                names.Add(reader.GetString(0));
        }
        var tables = new Dictionary<string, TableShape>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var columns = new List<ColumnShape>();
            await using var info = Command($"SELECT name, type, pk FROM pragma_table_info({Literal(name)}) ORDER BY cid");
            await using var reader = await info.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                columns.Add(new ColumnShape(reader.GetString(0), null, Generated: reader.GetInt64(2) == 1 && reader.GetString(1).Equals("INTEGER", StringComparison.OrdinalIgnoreCase), reader.GetString(1)));
            tables[name] = new TableShape(name, columns);
        }
        return tables;
    }

    public override async IAsyncEnumerable<object?[]> ReadAsync(string table, IReadOnlyList<CopyColumn> columns, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // rowid order: the order the rows were written, so a copy back and forth keeps it.
        await using var select = Command($"SELECT {string.Join(", ", columns.Select(c => Quote(c.Name)))} FROM {Quote(table)} ORDER BY rowid");
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[columns.Count];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : columns[i].Type.FromSqlite(reader.GetValue(i));
            yield return row;
        }
    }

    public override async Task<long> WriteAsync(string table, IReadOnlyList<CopyColumn> columns, IAsyncEnumerable<object?[]> rows, CancellationToken cancellationToken)
    {
        await using var insert = Command($"INSERT INTO {Quote(table)} ({string.Join(", ", columns.Select(c => Quote(c.Name)))}) " +
            $"VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})");
        var parameters = columns.Select((_, i) => insert.Parameters.Add(new SqliteParameter($"@p{i}", null))).ToArray();
        insert.Prepare();
        long written = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            for (var i = 0; i < row.Length; i++)
                parameters[i].Value = row[i] is { } value ? columns[i].Type.ToSqlite(value) : DBNull.Value;
            await insert.ExecuteNonQueryAsync(cancellationToken);
            written++;
        }
        return written;
    }

    public override async Task<TableStats> StatsAsync(string table, CopyColumn? id, CancellationToken cancellationToken)
    {
        await using var command = Command($"SELECT count(*), {(id is null ? "NULL" : $"max({Quote(id.Name)})")} FROM {Quote(table)}");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new TableStats(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
    }

    public override async Task<long?> IdHighWaterAsync(string table, string column, CancellationToken cancellationToken)
    {
        // Only AUTOINCREMENT tables keep a high-water mark; the others hand out max(rowid) + 1.
        if (await ScalarAsync("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'", cancellationToken) is 0L)
            return null;
        return await ScalarAsync($"SELECT seq FROM sqlite_sequence WHERE name = {Literal(table)}", cancellationToken) is { } seq and not DBNull
            ? Convert.ToInt64(seq, CultureInfo.InvariantCulture) : null;
    }

    public override async Task RaiseIdsAsync(string table, string column, long highWater, CancellationToken cancellationToken)
    {
        // Inserting explicit ids already moved an AUTOINCREMENT table's mark to the largest of them; this carries the
        // source's mark over when purged rows had gone past it. A table without AUTOINCREMENT keeps no mark to move.
        var autoIncrement = await ScalarAsync($"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = {Literal(table)} AND sql LIKE '%AUTOINCREMENT%'", cancellationToken);
        if (autoIncrement is 0L)
            return;
        await using var update = Command($"UPDATE sqlite_sequence SET seq = max(seq, {highWater.ToString(CultureInfo.InvariantCulture)}) WHERE name = {Literal(table)}");
        if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            await using var insert = Command($"INSERT INTO sqlite_sequence (name, seq) VALUES ({Literal(table)}, {highWater.ToString(CultureInfo.InvariantCulture)})");
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private SqliteCommand Command(string sql)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = Transaction;
        return command;
    }

    private async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(sql);
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    private static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static string Literal(string text) => $"'{text.Replace("'", "''", StringComparison.Ordinal)}'";
}
