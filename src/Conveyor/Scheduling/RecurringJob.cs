using System.Text.Json;

namespace Conveyor.Scheduling;

/// <summary>A schedule defined in code by <see cref="ConveyorOptions.AddRecurring"/>; its payload is serialised when the options are complete.</summary>
internal sealed record RecurringJob(string Name, string Cron, string Kind, object Payload, RecurringOptions Options)
{
    /// <summary>The definition, with the payload serialised by <paramref name="serializer"/>.</summary>
    /// <exception cref="JobValidationException">The payload does not serialise to JSON.</exception>
    public ScheduleDefinition Definition(JsonSerializerOptions serializer)
    {
        string json;
        try
        {
            json = JsonSerializer.Serialize(Payload, Payload.GetType(), serializer);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new JobValidationException("payload", $"does not serialise to JSON: {e.Message}");
        }
        return new ScheduleDefinition
        {
            Name = Name,
            Cron = Cron,
            TimeZone = Options.TimeZone,
            Kind = Kind,
            Payload = json,
            Queue = Options.Queue,
            Priority = Options.Priority,
            Misfire = Options.Misfire,
            MaxCatchUp = Options.MaxCatchUp,
            Overlap = Options.Overlap,
        };
    }
}
