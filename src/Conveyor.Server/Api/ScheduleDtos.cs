using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conveyor.Server.Api;

/// <summary>A schedule to add or replace (<c>POST /v1/schedules</c>).</summary>
internal sealed record ScheduleRequest
{
    [JsonRequired] public string Name { get; init; } = "";
    [JsonRequired] public string Cron { get; init; } = "";
    public string? TimeZone { get; init; }
    [JsonRequired] public string Type { get; init; } = "";
    public JsonElement? Payload { get; init; }
    public string? Queue { get; init; }
    public string? Priority { get; init; }
    public string? Misfire { get; init; }
    public int? MaxCatchUp { get; init; }
    public string? Overlap { get; init; }
}

internal sealed record ScheduleDto(
    string Name, string Cron, string TimeZone, string Type, JsonElement Payload, string? Queue, string? Priority, string Misfire,
    int MaxCatchUp, string Overlap, string Source, bool Paused, string? PausedBy, DateTimeOffset? NextFireAt, DateTimeOffset? LastFiredAt,
    long? LastJobId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ScheduleDto From(ScheduleInfo s)
    {
        var d = s.Definition;
        return new(d.Name, d.Cron, d.TimeZone, d.Kind, JobDto.Parse(d.Payload)!.Value, d.Queue, d.Priority?.ToString().ToLowerInvariant(),
            Wire(d.Misfire.ToString()), d.MaxCatchUp, Wire(d.Overlap.ToString()), Wire(s.Source.ToString()), s.Paused, s.PausedBy,
            s.NextFireAt, s.LastFiredAt, s.LastJobId, s.CreatedAt, s.UpdatedAt);
    }

    /// <summary>An enum member's wire name: camelCase (<c>FireOnce</c> → <c>fireOnce</c>).</summary>
    public static string Wire(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}

internal sealed record ScheduleListDto(IReadOnlyList<ScheduleDto> Schedules);
