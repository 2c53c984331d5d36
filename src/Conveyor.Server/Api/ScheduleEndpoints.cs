using Conveyor.Server.Auth;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Api;

/// <summary>Recurring schedules: listing and reading (any key), adding, pausing, resuming, triggering and removing (operator, admin).</summary>
internal static class ScheduleEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/schedules", List).WithName("ListSchedules").WithSummary("Every recurring schedule, by name").Produces<ScheduleListDto>();
        v1.MapGet("/schedules/{name}", Get).WithName("GetSchedule").WithSummary("One recurring schedule").Produces<ScheduleDto>();
        v1.MapPost("/schedules", Add).WithName("AddSchedule").WithSummary("Add a schedule, or replace the one with its name (operator, admin)")
            .Accepts<ScheduleRequest>("application/json").Produces<ScheduleDto>(StatusCodes.Status201Created).Produces<ScheduleDto>();
        v1.MapPost("/schedules/{name}/pause", (HttpContext http, IJobClient client, ILoggerFactory loggers, string name) => SetPaused(http, client, loggers, name, true))
            .WithName("PauseSchedule").WithSummary("Pause a schedule: no tick fires until it is resumed (operator, admin)").Produces<ScheduleDto>();
        v1.MapPost("/schedules/{name}/resume", (HttpContext http, IJobClient client, ILoggerFactory loggers, string name) => SetPaused(http, client, loggers, name, false))
            .WithName("ResumeSchedule").WithSummary("Resume a schedule from its next tick after now; ticks in the pause do not fire (operator, admin)").Produces<ScheduleDto>();
        v1.MapPost("/schedules/{name}/trigger", Trigger).WithName("TriggerSchedule")
            .WithSummary("Enqueue one job of the schedule now, without moving its next tick (operator, admin)").Produces<JobDto>(StatusCodes.Status201Created);
        v1.MapDelete("/schedules/{name}", Remove).WithName("RemoveSchedule")
            .WithSummary("Remove a schedule; a schedule defined in code comes back when a process defining it starts (operator, admin)").Produces(StatusCodes.Status204NoContent);
    }

    private const string MayChange = "Only operator and admin keys can change schedules.";

    private static async Task<IResult> List(IJobClient client, HttpContext http) =>
        Results.Ok(new ScheduleListDto([.. (await client.ListSchedulesAsync(http.RequestAborted)).Select(ScheduleDto.From)]));

    private static async Task<IResult> Get(IJobClient client, HttpContext http, string name) =>
        await client.GetScheduleAsync(name, http.RequestAborted) is { } schedule ? Results.Ok(ScheduleDto.From(schedule)) : Problems.NotFound($"Schedule '{name}'");

    private static async Task<IResult> Add(HttpContext http, IJobClient client, IOptions<ConveyorServerOptions> options, ILoggerFactory loggers)
    {
        var caller = Caller.From(http.User);
        if (!caller.CanReadOperations)
            return Problems.Forbidden(MayChange);
        var (request, problem) = await ApiJson.ReadAsync<ScheduleRequest>(http, options.Value.MaxRequestBodyBytes);
        if (problem is not null)
            return problem;
        var (definition, invalid) = ToDefinition(request!);
        if (invalid is not null)
            return invalid;
        return await Submitting.Run(async () =>
        {
            var existed = await client.GetScheduleAsync(definition!.Name, http.RequestAborted) is not null;
            var stored = ScheduleDto.From(await client.AddScheduleAsync(definition, http.RequestAborted));
            loggers.CreateLogger("Conveyor.Server.Schedules").LogInformation("Schedule {Schedule} {Action} by {User} (key {KeyId}): {Cron} in {Zone}",
                definition.Name, existed ? "replaced" : "added", caller.User, caller.KeyId, definition.Cron, definition.TimeZone);
            return existed ? Results.Ok(stored) : Results.Created($"{http.Request.PathBase}{http.Request.Path}/{Uri.EscapeDataString(stored.Name)}", stored);
        });
    }

    private static async Task<IResult> SetPaused(HttpContext http, IJobClient client, ILoggerFactory loggers, string name, bool paused)
    {
        var caller = Caller.From(http.User);
        if (!caller.CanReadOperations)
            return Problems.Forbidden(MayChange);
        if (await client.SetSchedulePausedAsync(name, paused, caller.User, http.RequestAborted) is not { } schedule)
            return Problems.NotFound($"Schedule '{name}'");
        loggers.CreateLogger("Conveyor.Server.Schedules").LogInformation("Schedule {Schedule} {Action} by {User} (key {KeyId})", name, paused ? "paused" : "resumed", caller.User, caller.KeyId);
        return Results.Ok(ScheduleDto.From(schedule));
    }

    private static async Task<IResult> Trigger(HttpContext http, IJobClient client, string name)
    {
        var caller = Caller.From(http.User);
        if (!caller.CanReadOperations)
            return Problems.Forbidden(MayChange);
        return await Submitting.Run(async () =>
        {
            if (await client.TriggerScheduleAsync(name, caller.User, http.RequestAborted) is not { } result)
                return Problems.NotFound($"Schedule '{name}'");
            var job = JobDto.From((await client.GetAsync(result.JobId, http.RequestAborted))!);
            var prefix = http.Request.Path.Value![..http.Request.Path.Value!.IndexOf("/schedules/", StringComparison.Ordinal)];
            return Results.Created($"{http.Request.PathBase}{prefix}/jobs/{job.Id}", job);
        });
    }

    private static async Task<IResult> Remove(HttpContext http, IJobClient client, string name)
    {
        var caller = Caller.From(http.User);
        if (!caller.CanReadOperations)
            return Problems.Forbidden(MayChange);
        return await client.RemoveScheduleAsync(name, http.RequestAborted) ? Results.NoContent() : Problems.NotFound($"Schedule '{name}'");
    }

    private static (ScheduleDefinition?, IResult?) ToDefinition(ScheduleRequest r)
    {
        if (r.Payload is not { } payload)
            return (null, Problems.Invalid("payload", "is required: the JSON payload of every job the schedule enqueues."));
        JobPriority? priority = null;
        if (r.Priority is not null)
        {
            if (!Enum.TryParse<JobPriority>(r.Priority, ignoreCase: true, out var p) || !Enum.IsDefined(p) || int.TryParse(r.Priority, out _))
                return (null, Problems.Invalid("priority", $"'{r.Priority}' is not a priority; use critical, high, normal or low."));
            priority = p;
        }
        if (!TryParse<MisfirePolicy>(r.Misfire, MisfirePolicy.FireOnce, out var misfire))
            return (null, Problems.Invalid("misfire", $"'{r.Misfire}' is not a misfire policy; use skip, fireOnce or fireEach."));
        if (!TryParse<OverlapPolicy>(r.Overlap, OverlapPolicy.Allow, out var overlap))
            return (null, Problems.Invalid("overlap", $"'{r.Overlap}' is not an overlap policy; use allow, skip or queue."));
        return (new ScheduleDefinition
        {
            Name = r.Name,
            Cron = r.Cron,
            TimeZone = r.TimeZone ?? "UTC",
            Kind = r.Type,
            Payload = payload.GetRawText(),
            Queue = r.Queue,
            Priority = priority,
            Misfire = misfire,
            MaxCatchUp = r.MaxCatchUp ?? 10,
            Overlap = overlap,
        }, null);
    }

    private static bool TryParse<T>(string? wire, T fallback, out T value) where T : struct, Enum
    {
        value = fallback;
        if (wire is null)
            return true;
        return Enum.TryParse(wire, ignoreCase: true, out value) && Enum.IsDefined(value) && !int.TryParse(wire, out _);
    }
}
