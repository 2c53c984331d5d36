using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Conveyor;

/// <summary>
/// The names under which Conveyor publishes its metrics (a <see cref="System.Diagnostics.Metrics.Meter"/>) and its
/// traces (an <see cref="System.Diagnostics.ActivitySource"/>), for OpenTelemetry or any other listener.
/// </summary>
/// <remarks>
/// <para>With OpenTelemetry: <c>metrics.AddMeter(ConveyorTelemetry.MeterName)</c> and
/// <c>tracing.AddSource(ConveyorTelemetry.ActivitySourceName)</c>. Every instrument, its unit and its tags are listed
/// in <c>docs/observability.md</c>.</para>
/// <para>Nothing is measured or allocated for telemetry while nobody listens: each instrument checks
/// <see cref="Instrument.Enabled"/> and the source checks <see cref="ActivitySource.HasListeners"/> first.</para>
/// </remarks>
public static class ConveyorTelemetry
{
    /// <summary>The name of Conveyor's meter: <c>Conveyor</c>.</summary>
    public const string MeterName = "Conveyor";

    /// <summary>The name of Conveyor's activity source: <c>Conveyor</c>.</summary>
    public const string ActivitySourceName = "Conveyor";

    private static readonly string? Version =
        typeof(ConveyorTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    /// <summary>
    /// The one meter of the process. Internal, visible to <c>Conveyor.Server</c>, which adds its store-polled gauges
    /// to it so that every Conveyor instrument comes from one meter.
    /// </summary>
    internal static Meter Meter { get; } = new(MeterName, Version);

    /// <summary>The one activity source of the process.</summary>
    internal static ActivitySource Source { get; } = new(ActivitySourceName, Version);
}
