using System.Globalization;

namespace Conveyor.Cli.Http;

/// <summary>
/// Follows one job over its Server-Sent Events stream (<c>/v1/jobs/{id}/stream</c>) until it ends: its history
/// first, then each new event. A dropped stream is resumed with <c>Last-Event-ID</c>, so no event is missed or
/// repeated. A terminal event ends the follow only once the job reads as finished: a requeued job's old
/// <c>failed</c> event in the replayed history does not.
/// </summary>
internal static class JobFollower
{
    private const int MaxReconnectsWithoutEvents = 5;

    /// <summary>Calls <paramref name="onEvent"/> for each event in order (read, and as the server sent it); returns the finished job.</summary>
    public static async Task<JobModel> FollowAsync(ConveyorApi api, long jobId, Func<EventModel, string, Task> onEvent, CancellationToken cancellationToken)
    {
        var subject = $"job {jobId.ToString(CultureInfo.InvariantCulture)}";
        var path = $"v1/jobs/{jobId.ToString(CultureInfo.InvariantCulture)}/stream";
        long? lastEventId = null;
        var idleReconnects = 0;
        while (true)
        {
            var sawEvent = false;
            await foreach (var message in api.StreamAsync(path, lastEventId, subject, cancellationToken))
            {
                if (message.Id is { } id)
                    lastEventId = id;
                sawEvent = true;
                var e = ApiJson.Read<EventModel>(message.Data);
                await onEvent(e, message.Data);
                if (e.IsTerminal && await GetAsync(api, jobId, cancellationToken) is { IsFinished: true } finished)
                    return finished;
            }
            // The server closed the stream (it drops a subscriber that falls behind, or it is stopping): resume.
            idleReconnects = sawEvent ? 0 : idleReconnects + 1;
            if (idleReconnects > MaxReconnectsWithoutEvents)
                throw new CliException(ExitCodes.Unreachable, $"the event stream of {subject} keeps closing; the server may be stopping");
            if (await GetAsync(api, jobId, cancellationToken) is { IsFinished: true } done && idleReconnects > 0)
                return done;
        }
    }

    public static async Task<JobModel> GetAsync(ConveyorApi api, long jobId, CancellationToken cancellationToken)
    {
        var id = jobId.ToString(CultureInfo.InvariantCulture);
        return ApiJson.Read<JobModel>(await api.GetAsync($"v1/jobs/{id}", $"job {id}", cancellationToken));
    }
}
