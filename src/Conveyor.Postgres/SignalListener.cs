using System.Globalization;
using Conveyor.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Conveyor.Postgres;

/// <summary>
/// One dedicated connection per store instance that LISTENs on the schema's channel and raises what other store
/// instances (other processes, other machines) announce as this store's <see cref="StoreSignals"/>. Its own
/// notifications carry its origin and are ignored: the store already raised those signals after its commit. Every
/// notification it hears also raises <see cref="StoreSignals.EventsAppended"/>.
/// When the connection fails it is re-opened with a back-off from 100 ms doubling to
/// <see cref="PostgresStoreOptions.ListenMaxRetryDelay"/>; after a reconnect every queue is woken once, since
/// notifications sent meanwhile were lost.
/// </summary>
internal sealed class SignalListener : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly string _connectionString;
    private readonly string _channel;
    private readonly string _origin;
    private readonly StoreSignals _signals;
    private readonly Func<DateTimeOffset> _now;
    private readonly TimeSpan _maxRetryDelay;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private int _started;

    public SignalListener(PostgresStoreOptions options, string channel, string origin, StoreSignals signals, Func<DateTimeOffset> now, ILogger logger)
    {
        // Its own physical connection, outside the pool: it lives as long as the store and holds LISTEN state.
        _connectionString = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            Pooling = false,
            KeepAlive = 30,
            TcpKeepAlive = true,
            ApplicationName = $"conveyor-listener {origin}",
        }.ConnectionString;
        _channel = channel;
        _origin = origin;
        _signals = signals;
        _now = now;
        _maxRetryDelay = options.ListenMaxRetryDelay;
        _logger = logger;
    }

    /// <summary>Completes when LISTEN first succeeded.</summary>
    public Task Listening => _listening.Task;

    public void Start()
    {
        if (Volatile.Read(ref _started) == 0 && Interlocked.Exchange(ref _started, 1) == 0)
            _loop = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        var delay = FirstRetryDelay;
        var reconnect = false;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_connectionString);
                await connection.OpenAsync(_stop.Token);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN \"{_channel}\"", connection))
                    await listen.ExecuteNonQueryAsync(_stop.Token);
                delay = FirstRetryDelay;
                if (reconnect)
                {
                    _logger.LogInformation("Conveyor listener on {Channel} reconnected", _channel);
                    // Whatever was announced while the connection was down is lost: let every queue look again.
                    _signals.PublishJobsReady(StoreSignals.AnyQueue, _now());
                    _signals.PublishEventsAppended();
                }
                _listening.TrySetResult();
                while (true)
                    await connection.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Conveyor listener on {Channel} failed; reconnecting in {Delay}", _channel, delay);
            }
            reconnect = true;
            try
            {
                await Task.Delay(delay, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = delay * 2 < _maxRetryDelay ? delay * 2 : _maxRetryDelay;
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        // "<origin> r <ready-at µs> <queue>", "<origin> c <job id>" or "<origin> s"; the queue comes last and may hold anything.
        var parts = e.Payload.Split(' ', 4);
        if (parts.Length < 2 || parts[0] == _origin)
            return;
        try
        {
            if (parts[1] == "s")
            {
                // A schedule changed; no history was written.
                _signals.PublishSchedulesChanged();
                return;
            }
            if (parts[1] == "r" && parts.Length == 4 && long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var micros))
                _signals.PublishJobsReady(parts[3], DateTimeOffset.UnixEpoch.AddTicks(micros * 10));
            else if (parts[1] == "c" && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var jobId))
                _signals.PublishCancelRequested(jobId);
            // Every notification comes from a commit that appended history events (an insert, a retry, a release, a
            // reap, a requeue, a cancellation; a resume writes none, and costs a reader one needless look).
            _signals.PublishEventsAppended();
        }
        catch (Exception error)
        {
            // A subscriber broke the rule that signal handlers do not throw; the listener must survive it.
            _logger.LogError(error, "A Conveyor signal handler threw while handling {Payload}", e.Payload);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        // Interlocked: a Start racing with disposal either sees the flag or its loop is awaited here.
        Interlocked.Exchange(ref _started, 1);
        if (_loop is not null)
            await _loop;
    }
}
