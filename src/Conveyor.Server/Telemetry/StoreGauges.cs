using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Telemetry;

/// <summary>
/// The gauges only the store can answer (queue depth, running, oldest pending age, stuck jobs), read every
/// <see cref="ConveyorServerOptions.GaugeRefreshInterval"/> by one loop and served from that snapshot, so a scrape
/// never queries the store.
/// </summary>
internal sealed class StoreGauges : BackgroundService
{
    /// <summary>The meter of the server's own instruments.</summary>
    public const string MeterName = "Conveyor.Server";

    private readonly IJobClient _client;
    private readonly ConveyorServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StoreGauges> _logger;
    private readonly Meter _meter;
    private volatile IReadOnlyList<QueueInfo> _queues = [];
    private volatile IReadOnlyList<LimitInfo> _limits = [];

    public StoreGauges(IJobClient client, IOptions<ConveyorServerOptions> options, IOptions<ConveyorOptions> conveyor, TimeProvider time, ILogger<StoreGauges> logger,
        IMeterFactory meters)
    {
        (_client, _options, _time, _logger) = (client, options.Value, time, logger);
        _meter = meters.Create(MeterName);
        _meter.CreateObservableGauge("conveyor.queue.depth", () => PerQueue(q => q.Pending + q.Scheduled), "{job}", "Jobs waiting in the queue (pending and scheduled).");
        _meter.CreateObservableGauge("conveyor.queue.pending", () => PerQueue(q => q.Pending), "{job}", "Jobs ready to run now.");
        _meter.CreateObservableGauge("conveyor.queue.running", () => PerQueue(q => q.Running), "{job}", "Jobs a worker holds.");
        _meter.CreateObservableGauge("conveyor.queue.awaiting_input", () => PerQueue(q => q.AwaitingInput), "{job}", "Jobs waiting for a person's answer.");
        _meter.CreateObservableGauge("conveyor.queue.dead_letters", () => PerQueue(q => q.Failed), "{job}", "Jobs in the queue's dead-letter queue.");
        _meter.CreateObservableGauge("conveyor.queue.oldest_pending_age", () => _queues.Select(q =>
            new Measurement<double>(q.OldestPendingAge?.TotalSeconds ?? 0, new KeyValuePair<string, object?>("queue", q.Name))), "s",
            "How long the longest-ready pending job has waited (0 when none is pending).");
        _meter.CreateObservableGauge("conveyor.queue.paused", () => PerQueue(q => q.Paused ? 1 : 0), "1", "1 when the queue is paused.");
        _meter.CreateObservableGauge("conveyor.queue.stuck", () => PerQueue(q => q.Stuck), "{job}", "Running jobs whose lease expired (their worker died or stalled).");
        // Configuration, not a count: served for the bounded queues only, so depth / max_waiting exists where a bound does.
        var bounds = conveyor.Value.Queues.Values.Where(q => q.MaxWaiting is not null)
            .Select(q => new Measurement<long>(q.MaxWaiting!.Value, new KeyValuePair<string, object?>("queue", q.Name))).ToArray();
        _meter.CreateObservableGauge("conveyor.queue.max_waiting", () => bounds, "{job}",
            "The queue's bound (MaxWaiting) as this process is configured: at this many waiting jobs submissions are refused. Absent for unbounded queues.");
        _meter.CreateObservableGauge("conveyor.limit.waiting", () => PerLimit(l => l.Waiting), "{job}", "Jobs of the limit ready to run that have not started (waiting on the limit or a free worker).");
        _meter.CreateObservableGauge("conveyor.limit.running", () => PerLimit(l => l.Keys.Sum(k => (long)k.Running)), "{job}", "Jobs of the limit running, over all its keys.");
    }

    private IEnumerable<Measurement<long>> PerQueue(Func<QueueInfo, long> value) =>
        _queues.Select(q => new Measurement<long>(value(q), new KeyValuePair<string, object?>("queue", q.Name)));

    private IEnumerable<Measurement<long>> PerLimit(Func<LimitInfo, long> value) =>
        _limits.Select(l => new Measurement<long>(value(l), new KeyValuePair<string, object?>("limit", l.Name)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.GaugeRefreshInterval, _time);
            do
            {
                try
                {
                    // One read of partial indexes per refresh: finished jobs are never counted here.
                    _queues = await _client.ListQueuesAsync(stoppingToken);
                    _limits = await _client.ListLimitsAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning(e, "Conveyor could not refresh the queue gauges");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping, or a host that failed to start being disposed.
        }
    }

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }
}
