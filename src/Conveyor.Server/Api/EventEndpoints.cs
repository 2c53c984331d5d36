using System.Globalization;
using System.Text;
using System.Text.Json;
using Conveyor.Server.Auth;
using Conveyor.Server.Feed;
using Conveyor.Storage;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Api;

/// <summary>
/// Live updates: Server-Sent Events for one job or for everything the key may see, resumable with
/// <c>Last-Event-ID</c> (the id of a history event), and a polling endpoint for clients that cannot stream.
/// </summary>
internal static class EventEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/events", Poll).WithName("PollEvents")
            .WithSummary("History events after an event id, oldest first, that the key may see (the polling alternative to /v1/stream)").Produces<EventPageDto>();
        v1.MapGet("/stream", StreamAll).WithName("StreamEvents")
            .WithSummary("Server-Sent Events: every history event the key may see, from now or after Last-Event-ID").Produces(200, contentType: "text/event-stream");
        v1.MapGet("/jobs/{id:long}/stream", StreamJob).WithName("StreamJobEvents")
            .WithSummary("Server-Sent Events of one job: its history so far (or after Last-Event-ID), then each new event").Produces(200, contentType: "text/event-stream");
    }

    private static async Task<IResult> Poll(HttpContext http, StoreAccessor store)
    {
        var caller = Caller.From(http.User);
        if (!QueryArgs.TryLong(http, "limit", 1, 1000, out var limit, out var problem)
            || !QueryArgs.TryLong(http, "after", 0, long.MaxValue, out var after, out problem)
            || !QueryArgs.TryLong(http, "jobId", 1, long.MaxValue, out var jobId, out problem))
            return problem!;
        var max = (int)(limit ?? 100);
        var s = await store.GetAsync(http.RequestAborted);
        var cursor = after ?? 0;
        var visible = new List<EventDto>(max);
        // Scan forward until a page is full or the feed ends; invisible events still advance the cursor.
        while (visible.Count < max)
        {
            var batch = await s.EventsFeedAsync(new EventsFeedParams(cursor, 1000), http.RequestAborted);
            foreach (var e in batch)
            {
                cursor = e.Event.Id;
                if ((jobId is null || e.Event.JobId == jobId) && caller.CanSee(e.Tenant, e.User))
                {
                    visible.Add(EventDto.From(e));
                    if (visible.Count == max)
                        break;
                }
            }
            if (batch.Count < 1000)
                break;
        }
        return Results.Ok(new EventPageDto(visible, cursor));
    }

    private static Task StreamAll(HttpContext http, StoreAccessor store, ChangeFeed feed, IOptions<ConveyorServerOptions> options) =>
        StreamAsync(http, store, feed, options.Value, jobId: null);

    private static async Task StreamJob(HttpContext http, StoreAccessor store, ChangeFeed feed, IJobClient client, IOptions<ConveyorServerOptions> options, long id)
    {
        var job = await client.GetAsync(id, http.RequestAborted);
        if (job is null || !Caller.From(http.User).CanSee(job))
        {
            await Problems.Write(http, StatusCodes.Status404NotFound, "not-found", "Not found", $"Job {id} does not exist or is not visible to this key.");
            return;
        }
        await StreamAsync(http, store, feed, options.Value, id);
    }

    private static async Task StreamAsync(HttpContext http, StoreAccessor store, ChangeFeed feed, ConveyorServerOptions options, long? jobId)
    {
        var caller = Caller.From(http.User);
        var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
        long? resumeAfter = null;
        if (lastEventId.Length > 0)
        {
            if (!long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                await Problems.Write(http, StatusCodes.Status400BadRequest, "invalid-request", "The request is invalid", "Last-Event-ID: must be the id of an event this server sent.", "Last-Event-ID");
                return;
            }
            resumeAfter = parsed;
        }
        var cancel = http.RequestAborted;
        var (subscription, head) = await feed.SubscribeAsync(cancel);
        using (subscription)
        {
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.Headers["X-Accel-Buffering"] = "no";
            var s = await store.GetAsync(cancel);
            var sent = resumeAfter ?? (jobId is null ? head : 0);
            // The backlog up to the feed's head comes from the store; everything after it from the subscription.
            if (sent < head)
            {
                await WriteBacklogAsync(http, s, caller, jobId, sent, head, cancel);
                sent = head;
            }
            await http.Response.WriteAsync(": connected\n\n", cancel);
            await http.Response.Body.FlushAsync(cancel);
            var reader = subscription.Events;
            while (!cancel.IsCancellationRequested)
            {
                using var keepAlive = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                keepAlive.CancelAfter(options.StreamKeepAliveInterval);
                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(keepAlive.Token);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", cancel);
                    await http.Response.Body.FlushAsync(cancel);
                    continue;
                }
                catch (InvalidOperationException)
                {
                    return;   // dropped for falling behind: the client reconnects with Last-Event-ID
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                if (!more)
                    return;
                while (reader.TryRead(out var e))
                {
                    if (e.Event.Id <= sent || (jobId is not null && e.Event.JobId != jobId) || !caller.CanSee(e.Tenant, e.User))
                        continue;
                    await WriteAsync(http, EventDto.From(e), cancel);
                    sent = e.Event.Id;
                }
                await http.Response.Body.FlushAsync(cancel);
            }
        }
    }

    // Events after `after` up to and including `head`, read from the store: one job's history, or every event the caller may see.
    private static async Task WriteBacklogAsync(HttpContext http, IJobStore s, Caller caller, long? jobId, long after, long head, CancellationToken cancel)
    {
        if (jobId is { } id)
        {
            if (await s.JobGetAsync(id, cancel) is not { } job)
                return;   // purged meanwhile: nothing left to replay
            foreach (var e in (await s.JobEventsListAsync(new JobEventsListParams(id, after, int.MaxValue), cancel)).Where(e => e.Id <= head))
                await WriteAsync(http, EventDto.From(e, job), cancel);
            return;
        }
        while (after < head)
        {
            var batch = await s.EventsFeedAsync(new EventsFeedParams(after, 1000), cancel);
            foreach (var e in batch.TakeWhile(e => e.Event.Id <= head))
            {
                if (caller.CanSee(e.Tenant, e.User))
                    await WriteAsync(http, EventDto.From(e), cancel);
            }
            after = batch.Count < 1000 || batch[^1].Event.Id >= head ? head : batch[^1].Event.Id;
        }
    }

    private static async Task WriteAsync(HttpContext http, EventDto e, CancellationToken cancellationToken)
    {
        var text = new StringBuilder()
            .Append("id: ").Append(e.Id.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("event: ").Append(e.Kind).Append('\n')
            .Append("data: ").Append(JsonSerializer.Serialize(e, ApiJson.Options)).Append("\n\n")
            .ToString();
        await http.Response.WriteAsync(text, cancellationToken);
    }
}
