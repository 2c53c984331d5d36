using Conveyor.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

/// <summary>
/// The scale-out store: any number of worker processes on any number of machines share one queue in PostgreSQL.
/// Claims lock rows with <c>FOR UPDATE SKIP LOCKED</c>, every transition writes its history event in the same
/// statement, and commits that make work ready (or request a cancellation) send a NOTIFY that every other store
/// instance on the same schema turns into its <see cref="Signals"/>.
/// </summary>
/// <remarks>
/// The clock is the database's (<c>clock_timestamp()</c> once per statement, one clock for every node, so skewed node clocks change nothing),
/// unless the store is given a <see cref="TimeProvider"/> other than <see cref="TimeProvider.System"/>, as tests do
/// with a fake clock: then that provider's time is passed with each statement.
/// </remarks>
public sealed partial class PostgresJobStore : IJobStore
{
    private readonly PostgresStoreOptions _options;
    private readonly TimeProvider? _clock;
    private readonly NpgsqlDataSource _dataSource;
    private readonly SqlText _sql;
    private readonly SignalListener _listener;
    private readonly ILogger _logger;
    private readonly bool _storeSetsSeqScan;
    private bool _disposed;

    /// <summary>
    /// Creates a store over the database and schema named in <paramref name="options"/>. With
    /// <paramref name="time"/> null or <see cref="TimeProvider.System"/> the database's clock is used; any other
    /// provider (a test clock) supplies now instead.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; the message names every problem.</exception>
    public PostgresJobStore(PostgresStoreOptions options, TimeProvider? time = null, ILogger<PostgresJobStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _clock = time is null || ReferenceEquals(time, TimeProvider.System) ? null : time;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _dataSource = CreateDataSource(options.ConnectionString);
        _storeSetsSeqScan = new NpgsqlConnectionStringBuilder(options.ConnectionString).Options?.Contains("enable_seqscan", StringComparison.OrdinalIgnoreCase) != true;
        _sql = new SqlText(options.Schema);
        Channel = $"conveyor:{options.Schema}";
        _listener = new SignalListener(options, Channel, Origin, Signals, () => _clock?.GetUtcNow() ?? TimeProvider.System.GetUtcNow(), _logger);
    }

    /// <summary>
    /// The store's connection pool. Three of Npgsql's defaults change unless the connection string names them:
    /// <c>Max Auto Prepare</c> becomes 32, so the store's statements (about twenty, each with a long text and a plan
    /// that costs about as much as running it) are prepared on each connection once used a few times;
    /// <c>No Reset On Close</c> becomes true, since the store keeps no session state that a reset should clear (its
    /// advisory locks end with their transaction; LISTEN has a connection of its own), so the reset
    /// (<c>DISCARD ALL</c>) would only add a statement to every use of a connection and drop the prepared ones; and
    /// <c>Options</c> starts with <c>-c enable_seqscan=off</c> (the string's own options follow, so they can set it
    /// back). A prepared statement may run a generic plan made once, possibly while the table was empty or looked
    /// empty to the planner; costed there, a sequential scan of <c>jobs</c> is as cheap as an index, and it would
    /// stay the plan after the table fills. With sequential scans priced out, every statement of the store, whose
    /// rows all have an index path, keeps it whatever the statistics (docs/architecture.md, PostgreSQL store). A
    /// handler's transaction, which runs on this pool, sets it back on for itself (<see cref="BeginAttemptTransactionAsync"/>).
    /// </summary>
    internal static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var named = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var settings = builder.ConnectionStringBuilder;
        if (!named.Contains(nameof(NpgsqlConnectionStringBuilder.MaxAutoPrepare)))
            settings.MaxAutoPrepare = 32;
        if (!named.Contains(nameof(NpgsqlConnectionStringBuilder.NoResetOnClose)))
            settings.NoResetOnClose = true;
        settings.Options = string.IsNullOrWhiteSpace(settings.Options) ? SessionOptions : $"{SessionOptions} {settings.Options}";
        return builder.Build();
    }

    /// <summary>The settings of the store's sessions, ahead of any the connection string gives (which win).</summary>
    internal const string SessionOptions = "-c enable_seqscan=off";

    /// <summary>A connection of the store's own pool, with its session settings (for plan checks).</summary>
    internal async Task<NpgsqlConnection> OpenPooledConnectionAsync() => await OpenAsync(CancellationToken.None);

    /// <inheritdoc />
    public StoreSignals Signals { get; } = new();

    /// <summary>The schema that holds this store's tables.</summary>
    public string Schema => _options.Schema;

    /// <summary>The NOTIFY channel of this schema: every store instance on it listens there.</summary>
    internal string Channel { get; }

    /// <summary>Tags this instance's notifications, so that it does not raise its own signals a second time.</summary>
    internal string Origin { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// The origin of notifications sent from a caller's transaction: no instance has it, so every instance raises them,
    /// this one included (it cannot raise its own signals after a commit it does not see).
    /// </summary>
    internal const string EveryInstance = "-";

    /// <summary>Completes once the listening connection has run LISTEN (starting it if needed).</summary>
    internal Task ListeningAsync()
    {
        StartListening();
        return _listener.Listening;
    }

    private void StartListening()
    {
        if (_options.Listen && !_disposed)
            _listener.Start();
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StartListening();
        return await _dataSource.OpenConnectionAsync(cancellationToken);
    }

    /// <summary>
    /// A command for the named SQL block, with the clock and notification parameters it uses; its notifications carry
    /// <paramref name="origin"/>, this instance's <see cref="Origin"/> unless given.
    /// </summary>
    private NpgsqlCommand Command(NpgsqlConnection connection, string name, NpgsqlTransaction? transaction = null, string? origin = null) =>
        CommandFor(connection, _sql[name], transaction, origin);

    private NpgsqlCommand CommandFor(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null, string? origin = null)
    {
        var text = SqlText.WithClock(sql);
        var command = new NpgsqlCommand(text, connection, transaction);
        AddStatementParameters(command.Parameters, sql, text, origin);
        return command;
    }

    /// <summary>The named SQL block as one statement of a batch (several statements, one round trip, one transaction).</summary>
    private NpgsqlBatchCommand BatchCommand(string name)
    {
        var sql = _sql[name];
        var text = SqlText.WithClock(sql);
        var command = new NpgsqlBatchCommand(text);
        AddStatementParameters(command.Parameters, sql, text);
        return command;
    }

    private void AddStatementParameters(NpgsqlParameterCollection parameters, string sql, string text, string? origin = null)
    {
        if (!ReferenceEquals(text, sql))
        {
            parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz)
            {
                Value = _clock is null ? DBNull.Value : _clock.GetUtcNow(),
            });
        }
        if (sql.Contains("@channel", StringComparison.Ordinal))
        {
            parameters.Add(new NpgsqlParameter<string>("channel", NpgsqlDbType.Text) { TypedValue = Channel });
            parameters.Add(new NpgsqlParameter<string>("origin", NpgsqlDbType.Text) { TypedValue = origin ?? Origin });
        }
    }

    /// <summary>The named statement as this store runs it, with its clock and notification parameters (for plan checks).</summary>
    internal NpgsqlCommand CreateCommand(NpgsqlConnection connection, string name) => Command(connection, name);

    /// <summary>Runs <paramref name="work"/> again when PostgreSQL chose its transaction as a deadlock victim.</summary>
    private async Task<T> RetryDeadlocksAsync<T>(Func<Task<T>> work)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await work();
            }
            catch (PostgresException e) when (attempt < 5 && e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                // The whole transaction was rolled back; nothing of it is visible. Try it again.
                if (e.SqlState == PostgresErrorCodes.DeadlockDetected)
                    Interlocked.Increment(ref _deadlocksRetried);
            }
        }
    }

    private long _deadlocksRetried;

    /// <summary>Statements this instance ran again after PostgreSQL broke a deadlock by rolling them back (for tests: the lock order should leave none).</summary>
    internal long DeadlocksRetried => Interlocked.Read(ref _deadlocksRetried);

    /// <summary>Raises <see cref="StoreSignals.JobsReady"/> once per queue with its earliest ready time.</summary>
    private void PublishReady(IEnumerable<(string Queue, DateTimeOffset At)> ready)
    {
        foreach (var group in ready.GroupBy(r => r.Queue, StringComparer.Ordinal))
            Signals.PublishJobsReady(group.Key, group.Min(r => r.At));
    }

    /// <summary>
    /// Raises <see cref="StoreSignals.EventsAppended"/> when <paramref name="appended"/> (a write of this instance committed
    /// history events) and returns it. Other instances hear of it only through the NOTIFYs that already exist (jobs ready,
    /// cancellations); the claim and plain completions send none, so their feed readers also poll.
    /// </summary>
    private bool EventsAppendedIf(bool appended)
    {
        if (appended)
            Signals.PublishEventsAppended();
        return appended;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await _listener.DisposeAsync();
        await _dataSource.DisposeAsync();
    }
}
