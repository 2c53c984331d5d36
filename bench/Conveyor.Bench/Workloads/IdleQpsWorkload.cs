using System.Globalization;
using Conveyor.Bench.Stores;
using Npgsql;

namespace Conveyor.Bench;

/// <summary>
/// <c>idle_qps</c>: what an idle cluster costs the database. Four worker processes (nodes) with default settings
/// (<c>--workers</c> slots each) run on an empty schema; after a 5 s settling time the statements they send are
/// counted for <c>--idle-seconds</c>. <c>per_sec</c> is queries per second, all nodes together. Counted with
/// pg_stat_statements (calls per statement in this database, the harness's own reads of the view excluded) when
/// the server has it, else with pg_stat_database's committed and rolled-back transactions of the database (one
/// per statement outside an explicit transaction; the server publishes them late, so that is rougher). The
/// statements and their counts go to stderr.
/// </summary>
internal sealed class IdleQpsWorkload(PostgresBenchStore store, int workers, int seconds) : IWorkload
{
    private const int Nodes = 4;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    public string Name => Workload.IdleQps;

    public bool WantsWarmup => false;

    public async Task<IReadOnlyList<BenchResult>> RunAsync(int jobs, CancellationToken cancellationToken)
    {
        await using var database = store.Create();
        await database.MigrateAsync(cancellationToken);
        await using var group = await WorkerGroup.StartAsync(database.ConnectionString, database.Schema, Nodes, workers, cancellationToken);
        await Task.Delay(Settle, cancellationToken);

        await using var counter = await QueryCounter.OpenAsync(store.ConnectionString, cancellationToken);
        var before = await counter.SnapshotAsync(cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
        var after = await counter.SnapshotAsync(cancellationToken);

        var deltas = after.Select(a => (a.Key, Calls: a.Value - before.GetValueOrDefault(a.Key))).Where(d => d.Calls > 0).OrderByDescending(d => d.Calls).ToList();
        var total = deltas.Sum(d => d.Calls) - counter.OwnPerSnapshot;
        Console.Error.WriteLine($"{Name}: {Nodes} idle nodes, {total} statements in {seconds} s ({counter.Source}):");
        foreach (var (statement, calls) in deltas)
            Console.Error.WriteLine($"  {calls,6}  {calls / (double)seconds,6:0.00}/s  {statement}");
        return [new BenchResult(store.Name, Name, 0, workers, seconds, total / (double)seconds, null, null, null, Processes: Nodes)];
    }
}

/// <summary>Reads how many statements the database has run so far, per statement where the server can say.</summary>
internal sealed class QueryCounter : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly bool _statements;

    private QueryCounter(NpgsqlConnection connection, bool statements)
    {
        _connection = connection;
        _statements = statements;
    }

    public string Source => _statements ? "pg_stat_statements" : "pg_stat_database xact_commit + xact_rollback";

    /// <summary>What the counter's own snapshot adds to the count between two snapshots (its transaction, in the fallback).</summary>
    public long OwnPerSnapshot => _statements ? 0 : 1;

    public static async Task<QueryCounter> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = "conveyor-bench-counter" }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        bool statements;
        try
        {
            await using var probe = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT count(*) FROM pg_stat_statements", connection);
            await probe.ExecuteNonQueryAsync(cancellationToken);
            statements = true;
        }
        catch (PostgresException)
        {
            // Not installed or not in shared_preload_libraries: count transactions instead.
            statements = false;
        }
        return new QueryCounter(connection, statements);
    }

    /// <summary>Calls so far per statement text (one entry, the transaction count, in the fallback).</summary>
    public async Task<Dictionary<string, long>> SnapshotAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var read = new NpgsqlCommand(_statements
            ? "SELECT query, calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'"
            : "SELECT 'transactions', xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()", _connection);
        await using var r = await read.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var text = Shorten(r.GetString(0));
            result[text] = result.GetValueOrDefault(text) + r.GetInt64(1);
        }
        return result;
    }

    /// <summary>The statement on one line, cut to a length that names it.</summary>
    private static string Shorten(string sql)
    {
        var line = string.Join(' ', sql.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= 140 ? line : string.Create(CultureInfo.InvariantCulture, $"{line[..140]}…");
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
