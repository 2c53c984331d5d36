using System.Data;
using System.Globalization;
using System.Runtime.CompilerServices;
using Conveyor.Postgres;
using Npgsql;

namespace Conveyor.Cli.StoreCopy;

/// <summary>
/// A PostgreSQL schema. As a source it is read inside one <c>REPEATABLE READ READ ONLY</c> transaction, so every table
/// comes from one snapshot; as a destination every table is streamed in with binary <c>COPY</c> inside one
/// transaction (nothing is held in memory, and nothing is visible to anyone until the commit).
/// </summary>
internal sealed class PostgresEndpoint(string connectionString, string schema, string shown) : CopyEndpoint<NpgsqlConnection, NpgsqlTransaction>
{
    private bool _asSource;

    public override string Shown => shown;

    public override int LatestSchemaVersion => PostgresJobStore.LatestSchemaVersion;

    private NpgsqlConnection Connection => OpenConnection ?? throw new InvalidOperationException("The PostgreSQL store is not open.");

    private string Table(string name) => $"{Quote(schema)}.{Quote(name)}";

    public override async Task OpenAsync(bool asSource, CancellationToken cancellationToken)
    {
        _asSource = asSource;
        OpenConnection = new NpgsqlConnection(connectionString);
        try
        {
            await OpenConnection.OpenAsync(cancellationToken);
        }
        catch (NpgsqlException e)
        {
            var why = e is PostgresException p ? p.MessageText : e.InnerException?.Message ?? e.Message;
            throw new CliException(ExitCodes.Unreachable, $"cannot reach {Shown} ({Http.ApiErrors.Sentence(why.ReplaceLineEndings(" "))})");
        }
    }

    public override async Task<int> SchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var exists = Command("SELECT to_regclass(@table) IS NOT NULL");
        exists.Parameters.AddWithValue("table", Table("conveyor_schema"));
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            return 0;
        await using var version = Command($"SELECT coalesce(max(version), 0) FROM {Table("conveyor_schema")}");
        return Convert.ToInt32(await version.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var store = new PostgresJobStore(new PostgresStoreOptions { ConnectionString = connectionString, Schema = schema, Listen = false });
        await store.MigrateAsync(cancellationToken);
    }

    public override async Task BeginAsync(CancellationToken cancellationToken)
    {
        if (_asSource)
        {
            Transaction = await Connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
            await using var readOnly = Command("SET TRANSACTION READ ONLY");
            await readOnly.ExecuteNonQueryAsync(cancellationToken);
        }
        else
        {
            Transaction = await Connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        }
    }

    public override async Task<IReadOnlyDictionary<string, TableShape>> TablesAsync(CancellationToken cancellationToken)
    {
        await using var command = Command("""
            SELECT c.table_name, c.column_name, c.data_type, c.udt_name, c.is_identity = 'YES' OR coalesce(c.column_default, '') LIKE 'nextval(%'
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = @schema AND t.table_type = 'BASE TABLE'
            ORDER BY c.table_name, c.ordinal_position
            """);
        command.Parameters.AddWithValue("schema", schema);
        var columns = new List<(string Table, ColumnShape Column)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var dataType = reader.GetString(2);
                columns.Add((reader.GetString(0), new ColumnShape(reader.GetString(1), ColumnType.FromPostgres(dataType, reader.GetString(3)), reader.GetBoolean(4),
                    dataType == "ARRAY" ? reader.GetString(3) : dataType)));
            }
        }
        return columns.GroupBy(c => c.Table, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new TableShape(g.Key, [.. g.Select(c => c.Column)]), StringComparer.Ordinal);
    }

    public override async IAsyncEnumerable<object?[]> ReadAsync(string table, IReadOnlyList<CopyColumn> columns, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var key = await PrimaryKeyAsync(table, cancellationToken);
        var order = key.Count == 0 ? "" : $" ORDER BY {string.Join(", ", key.Select(Quote))}";
        await using var select = Command($"SELECT {string.Join(", ", columns.Select(c => Quote(c.Name)))} FROM {Table(table)}{order}");
        // Rows stream from the server as they are read; none of them is buffered beyond the reader's own buffer.
        await using var reader = await select.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[columns.Count];
            for (var i = 0; i < row.Length; i++)
                row[i] = await reader.IsDBNullAsync(i, cancellationToken) ? null : columns[i].Type.FromPostgres(reader.GetValue(i));
            yield return row;
        }
    }

    public override async Task<long> WriteAsync(string table, IReadOnlyList<CopyColumn> columns, IAsyncEnumerable<object?[]> rows, CancellationToken cancellationToken)
    {
        // Binary COPY also writes the values of GENERATED ALWAYS identity columns (an INSERT would need OVERRIDING SYSTEM VALUE).
        await using var importer = await Connection.BeginBinaryImportAsync(
            $"COPY {Table(table)} ({string.Join(", ", columns.Select(c => Quote(c.Name)))}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        // Zero is no limit: completing the COPY of a large table (the server checks every row and builds every index
        // entry) may take longer than the 30 s default.
        importer.Timeout = TimeSpan.Zero;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            await importer.StartRowAsync(cancellationToken);
            for (var i = 0; i < row.Length; i++)
            {
                try
                {
                    await WriteValueAsync(importer, columns[i].Type, row[i], cancellationToken);
                }
                catch (OverflowException)
                {
                    throw new CliException(ExitCodes.Failure,
                        $"{table}.{columns[i].Name}: the value {row[i]} does not fit the {columns[i].Type.PostgresType.ToString().ToLowerInvariant()} column of {Shown}; nothing was committed");
                }
            }
        }
        return (long)await importer.CompleteAsync(cancellationToken);
    }

    private static Task WriteValueAsync(NpgsqlBinaryImporter importer, ColumnType type, object? neutral, CancellationToken cancellationToken)
    {
        if (neutral is null)
            return importer.WriteNullAsync(cancellationToken);
        var value = type.ToPostgres(neutral);
        return value switch
        {
            string text => importer.WriteAsync(text, type.PostgresType, cancellationToken),
            short number => importer.WriteAsync(number, type.PostgresType, cancellationToken),
            int number => importer.WriteAsync(number, type.PostgresType, cancellationToken),
            long number => importer.WriteAsync(number, type.PostgresType, cancellationToken),
            float number => importer.WriteAsync(number, type.PostgresType, cancellationToken),
            double number => importer.WriteAsync(number, type.PostgresType, cancellationToken),
            bool flag => importer.WriteAsync(flag, type.PostgresType, cancellationToken),
            DateTime instant => importer.WriteAsync(instant, type.PostgresType, cancellationToken),
            TimeSpan span => importer.WriteAsync(span, type.PostgresType, cancellationToken),
            string[] texts => importer.WriteAsync(texts, type.PostgresType, cancellationToken),
            byte[] bytes => importer.WriteAsync(bytes, type.PostgresType, cancellationToken),
            _ => throw new InvalidOperationException($"No PostgreSQL writer for a {value.GetType().Name}."),
        };
    }

    public override async Task<TableStats> StatsAsync(string table, CopyColumn? id, CancellationToken cancellationToken)
    {
        await using var command = Command($"SELECT count(*), {(id is null ? "NULL::bigint" : $"max({Quote(id.Name)})::bigint")} FROM {Table(table)}");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new TableStats(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1));
    }

    public override async Task<long?> IdHighWaterAsync(string table, string column, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT pg_sequence_last_value(pg_get_serial_sequence(@table, @column)::regclass)");
        command.Parameters.AddWithValue("table", Table(table));
        command.Parameters.AddWithValue("column", column);
        return await command.ExecuteScalarAsync(cancellationToken) is long last ? last : null;
    }

    public override async Task RaiseIdsAsync(string table, string column, long highWater, CancellationToken cancellationToken)
    {
        if (highWater < 1)
            return;
        // setval(…, n, true): the next value handed out is n + 1.
        await using var command = Command("SELECT setval(pg_get_serial_sequence(@table, @column)::regclass, @value, true)");
        command.Parameters.AddWithValue("table", Table(table));
        command.Parameters.AddWithValue("column", column);
        command.Parameters.AddWithValue("value", highWater);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override async Task AnalyzeAsync(IEnumerable<string> tables, CancellationToken cancellationToken)
    {
        // Bulk-loaded tables have no statistics until autovacuum gets to them, and until then the planner may take the
        // claim for a scan of everything (docs/architecture.md): give them statistics before the first node starts.
        await using var analyze = new NpgsqlCommand($"ANALYZE {string.Join(", ", tables.Select(Table))}", Connection) { CommandTimeout = 0 };
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<IReadOnlyList<string>> PrimaryKeyAsync(string table, CancellationToken cancellationToken)
    {
        await using var command = Command("""
            SELECT a.attname FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = @table::regclass AND i.indisprimary
            ORDER BY array_position(i.indkey::int2[], a.attnum)
            """);
        command.Parameters.AddWithValue("table", Table(table));
        var key = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            key.Add(reader.GetString(0));
        return key;
    }

    // No time limit (Npgsql's default is 30 s): reading, counting and analyzing a large table take as long as they take,
    // and Ctrl+C still interrupts.
    private NpgsqlCommand Command(string sql) => new(sql, Connection, Transaction) { CommandTimeout = 0 };

    private static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
