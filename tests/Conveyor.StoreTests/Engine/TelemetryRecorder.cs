using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Conveyor.StoreTests.Engine;

/// <summary>
/// Listens to Conveyor's meter and activity source and keeps what concerns one queue. The meter and the source are
/// process-wide and tests run in parallel, so each test gives its jobs a queue of its own and reads only that.
/// </summary>
public sealed class TelemetryRecorder : IDisposable
{
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _activities;

    public TelemetryRecorder(string queue)
    {
        Queue = queue;
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ConveyorTelemetry.MeterName)
                listener.EnableMeasurementEvents(instrument);
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Keep(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Keep(instrument, value, tags));
        _meters.Start();
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ConveyorTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem("messaging.destination.name"), Queue))
                    Activities.Enqueue(activity);
            },
        };
        ActivitySource.AddActivityListener(_activities);
    }

    public string Queue { get; }

    public ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

    public ConcurrentQueue<Activity> Activities { get; } = new();

    /// <summary>The sum of a counter's increments, per <c>job.type</c> tag.</summary>
    public long Count(string instrument, string kind) =>
        (long)Measurements.Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault("job.type"), kind)).Sum(m => m.Value);

    public List<(string Instrument, double Value, Dictionary<string, object?> Tags)> Of(string instrument) =>
        Measurements.Where(m => m.Instrument == instrument).ToList();

    /// <summary>Waits until <paramref name="condition"/> holds; fails after <paramref name="patience"/>.</summary>
    public async Task WaitUntilAsync(Func<TelemetryRecorder, bool> condition, TimeSpan patience, string what)
    {
        using var deadline = new CancellationTokenSource(patience);
        while (!condition(this))
        {
            if (deadline.IsCancellationRequested)
                throw new Xunit.Sdk.XunitException($"Telemetry never showed {what}; seen: {string.Join(", ", Measurements.Select(m => $"{m.Instrument}={m.Value}"))}.");
            await Task.Delay(10);
        }
    }

    private void Keep<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct
    {
        var kept = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
            kept[tag.Key] = tag.Value;
        if (Equals(kept.GetValueOrDefault("queue"), Queue))
            Measurements.Enqueue((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), kept));
    }

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }
}
