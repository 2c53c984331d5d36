namespace Conveyor;

/// <summary>Where a schedule was defined.</summary>
public enum ScheduleSource
{
    /// <summary>In code, with <see cref="ConveyorOptions.AddRecurring"/>; written to the store at every start-up.</summary>
    Code,

    /// <summary>Through the HTTP API or the CLI (<see cref="IJobClient.AddScheduleAsync"/>).</summary>
    Api,
}
