using Conveyor.Server.Auth;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Api;

/// <summary>Queues (depth, running, stuck, oldest pending age, paused, bound), pausing them, and statistics.</summary>
internal static class QueueEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/queues", List).WithName("ListQueues").WithSummary("Every queue with its counts (operator, admin)").Produces<QueueListDto>();
        v1.MapPost("/queues/{name}/pause", (HttpContext http, IJobClient client, IOptions<ConveyorOptions> options, ILoggerFactory loggers, string name) => SetPaused(http, client, options.Value, loggers.CreateLogger("Conveyor.Server.Queues"), name, true))
            .WithName("PauseQueue").WithSummary("Pause a queue: it accepts jobs, none is claimed (admin)").Produces<QueueDto>();
        v1.MapPost("/queues/{name}/resume", (HttpContext http, IJobClient client, IOptions<ConveyorOptions> options, ILoggerFactory loggers, string name) => SetPaused(http, client, options.Value, loggers.CreateLogger("Conveyor.Server.Queues"), name, false))
            .WithName("ResumeQueue").WithSummary("Resume a paused queue (admin)").Produces<QueueDto>();
        v1.MapGet("/stats", Stats).WithName("GetStats")
            .WithSummary("Counts by state and type, run times (mean, p95) and stuck jobs, over what the key may see").Produces<StatsDto>();
    }

    private static async Task<IResult> List(HttpContext http, IJobClient client, IOptions<ConveyorOptions> options)
    {
        if (!Caller.From(http.User).CanReadOperations)
            return Problems.Forbidden("Queues are visible to operator and admin keys.");
        return Results.Ok(new QueueListDto([.. (await client.ListQueuesAsync(http.RequestAborted)).Select(q => QueueDto.From(q, options.Value))]));
    }

    private static async Task<IResult> SetPaused(HttpContext http, IJobClient client, ConveyorOptions options, ILogger log, string name, bool paused)
    {
        var caller = Caller.From(http.User);
        if (!caller.IsAdmin)
            return Problems.Forbidden("Only an admin key can pause or resume a queue, which affects every tenant.");
        try
        {
            await client.SetQueuePausedAsync(name, paused, caller.User, http.RequestAborted);
        }
        catch (JobValidationException)
        {
            return Problems.NotFound($"Queue '{name}'");
        }
        // A pause belongs to no job, so it has no history to go in: the log records who did it.
        log.LogInformation("Queue {Queue} {Action} by {User} (key {KeyId})", name, paused ? "paused" : "resumed", caller.User, caller.KeyId);
        var queue = (await client.ListQueuesAsync(http.RequestAborted)).First(q => q.Name == name);
        return Results.Ok(QueueDto.From(queue, options));
    }

    private static async Task<IResult> Stats(HttpContext http, IJobClient client, string? tenant)
    {
        var caller = Caller.From(http.User);
        if (!QueryArgs.TryDouble(http, "windowSeconds", 0, 366 * 86_400, out var windowSeconds, out var problem))
            return problem!;
        var window = TimeSpan.FromSeconds(windowSeconds ?? 3600);
        // What a key may see bounds what it may count: an admin any tenant (or all), an operator its tenant, anyone else their own jobs.
        var (scopeTenant, scopeUser) = caller.IsAdmin ? (tenant, (string?)null)
            : caller.IsOperator ? (caller.Tenant ?? "", null)
            : (caller.Tenant ?? "", caller.User);
        if (!caller.IsAdmin && tenant is not null && tenant != (caller.Tenant ?? ""))
            return Problems.Forbidden("A key sees the statistics of its own tenant only.");
        return Results.Ok(StatsDto.From(await client.GetStatsAsync(scopeTenant, scopeUser, window, http.RequestAborted), window));
    }
}
