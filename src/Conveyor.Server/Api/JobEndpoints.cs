using System.Globalization;
using Conveyor.Server.Auth;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Api;

/// <summary>Submit, read, list, cancel and requeue jobs; the dead-letter queue.</summary>
internal static class JobEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/jobs", Submit).WithName("SubmitJob").WithSummary("Submit one job")
            .Accepts<SubmitJobRequest>(isOptional: true, "application/json").Produces<JobDto>(201).Produces<JobDto>(200);
        v1.MapPost("/jobs/batch", SubmitBatch).WithName("SubmitJobs").WithSummary("Submit a batch of jobs, all or none")
            .Accepts<SubmitBatchRequest>(isOptional: true, "application/json").Produces<BatchResponse>(201).Produces<BatchResponse>(200);
        v1.MapGet("/jobs", List).WithName("ListJobs").WithSummary("List jobs, newest first, with filters and a cursor").Produces<JobPageDto>();
        v1.MapGet("/jobs/{id:long}", Get).WithName("GetJob").WithSummary("Read one job").Produces<JobDto>();
        v1.MapGet("/jobs/{id:long}/history", History).WithName("GetJobHistory").WithSummary("A job's event history, oldest first").Produces<EventPageDto>();
        v1.MapPost("/jobs/{id:long}/cancel", Cancel).WithName("CancelJob").WithSummary("Cancel a waiting job, or stop a running one").Produces<JobDto>();
        v1.MapPost("/jobs/{id:long}/requeue", Requeue).WithName("RequeueJob").WithSummary("Requeue a dead-lettered job").Produces<JobDto>();
        v1.MapGet("/dlq", DeadLetters).WithName("ListDeadLetters").WithSummary("The dead-letter queue: failed jobs, newest first").Produces<JobPageDto>();
        v1.MapPost("/dlq/requeue", RequeueMany).WithName("RequeueDeadLetters").WithSummary("Requeue dead-lettered jobs by id, or every one matching a queue and type")
            .Accepts<RequeueManyRequest>(isOptional: true, "application/json").Produces<RequeueManyResponse>();
    }

    private static async Task<IResult> Submit(HttpContext http, IJobClient client, IOptions<ConveyorServerOptions> options)
    {
        var caller = Caller.From(http.User);
        if (!caller.CanSubmit)
            return Problems.Forbidden("A viewer key cannot submit jobs.");
        var (request, problem) = await ApiJson.ReadAsync<SubmitJobRequest>(http, options.Value.MaxRequestBodyBytes);
        if (problem is not null)
            return problem;
        var header = http.Request.Headers["Idempotency-Key"].ToString();
        if (header.Length > 0 && request!.IdempotencyKey is { } field && field != header)
            return Problems.Invalid("idempotencyKey", "differs from the Idempotency-Key header; send one or make them equal.");
        if (header.Length > 0)
            request = request! with { IdempotencyKey = header };
        var (submission, invalid) = ToSubmission(request!, caller, "");
        if (invalid is not null)
            return invalid;
        return await Submitting.Run(async () =>
        {
            var result = await client.EnqueueJsonAsync(submission!.Kind, submission.Payload, submission.Options, http.RequestAborted);
            var job = JobDto.From((await client.GetAsync(result.JobId, http.RequestAborted))!);
            // Relative to where the API is mounted: the request's own path plus the new id.
            return result.AlreadyExisted ? Results.Ok(job) : Results.Created($"{http.Request.PathBase}{http.Request.Path}/{job.Id}", job);
        });
    }

    private static async Task<IResult> SubmitBatch(HttpContext http, IJobClient client, IOptions<ConveyorServerOptions> options)
    {
        var caller = Caller.From(http.User);
        if (!caller.CanSubmit)
            return Problems.Forbidden("A viewer key cannot submit jobs.");
        var (request, problem) = await ApiJson.ReadAsync<SubmitBatchRequest>(http, options.Value.MaxRequestBodyBytes);
        if (problem is not null)
            return problem;
        if (request!.Jobs.Count is 0 || request.Jobs.Count > options.Value.MaxBatchSize)
            return Problems.Invalid("jobs", $"must hold 1 to {options.Value.MaxBatchSize} jobs (holds {request.Jobs.Count}).");
        var submissions = new List<JobSubmission>(request.Jobs.Count);
        for (var i = 0; i < request.Jobs.Count; i++)
        {
            var (submission, invalid) = ToSubmission(request.Jobs[i], caller, $"jobs[{i}].");
            if (invalid is not null)
                return invalid;
            submissions.Add(submission!);
        }
        return await Submitting.Run(async () =>
        {
            var results = await client.EnqueueBatchAsync(submissions, http.RequestAborted);
            var items = new List<BatchItemDto>(results.Count);
            foreach (var r in results)
                items.Add(new BatchItemDto(r.AlreadyExisted, JobDto.From((await client.GetAsync(r.JobId, http.RequestAborted))!)));
            var body = new BatchResponse(items);
            return items.All(i => i.Existing) ? Results.Ok(body) : Results.Json(body, ApiJson.Options, statusCode: StatusCodes.Status201Created);
        });
    }

    private static (JobSubmission? Submission, IResult? Problem) ToSubmission(SubmitJobRequest r, Caller caller, string prefix)
    {
        if (string.IsNullOrWhiteSpace(r.Type))
            return (null, Problems.Invalid(prefix + "type", "is required."));
        JobPriority? priority = null;
        if (r.Priority is not null)
        {
            if (!Enum.TryParse<JobPriority>(r.Priority, ignoreCase: true, out var p) || !Enum.IsDefined(p) || int.TryParse(r.Priority, out _))
                return (null, Problems.Invalid(prefix + "priority", "must be one of critical, high, normal, low."));
            priority = p;
        }
        TimeSpan? delay = null;
        if (r.DelaySeconds is { } seconds)
        {
            if (!double.IsFinite(seconds) || seconds < 0 || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
                return (null, Problems.Invalid(prefix + "delaySeconds", "must be a number of seconds, zero or more."));
            delay = TimeSpan.FromSeconds(seconds);
        }
        var payload = r.Payload is { } element ? element.GetRawText() : "{}";
        return (new JobSubmission(r.Type, payload, new EnqueueOptions
        {
            Priority = priority,
            RunAt = r.RunAt,
            Delay = delay,
            Queue = r.Queue,
            ConcurrencyKey = r.ConcurrencyKey,
            IdempotencyKey = r.IdempotencyKey,
            MaxAttempts = r.MaxAttempts,
            Tags = r.Tags,
            Principal = caller.Principal,
        }), null);
    }

    private static async Task<IResult> List(HttpContext http, IJobClient client,
        string? state, string? type, string? queue, string? owner, string? tenant, string? tag,
        string? from, string? to, string? cursor)
    {
        var caller = Caller.From(http.User);
        if (!QueryArgs.TryLong(http, "limit", 1, 1000, out var limit, out var bad))
            return bad!;
        var (query, problem) = ParseQuery(state, type, queue, owner, tenant, tag, from, to, cursor, (int?)limit);
        if (problem is not null)
            return problem;
        // Another tenant's jobs, or (below operator) another user's: nothing is visible, and nothing says whether any exist.
        if ((!caller.IsAdmin && tenant is not null && tenant != (caller.Tenant ?? ""))
            || (!caller.IsAdmin && !caller.IsOperator && owner is not null && owner != caller.User))
            return Results.Ok(new JobPageDto([], null));
        return await Submitting.Run(async () =>
        {
            var page = await client.ListAsync(caller.Scope(query!), http.RequestAborted);
            return Results.Ok(new JobPageDto([.. page.Jobs.Select(JobDto.From)], page.NextCursor));
        });
    }

    internal static (JobQuery? Query, IResult? Problem) ParseQuery(string? state, string? type, string? queue, string? owner, string? tenant, string? tag,
        string? from, string? to, string? cursor, int? limit)
    {
        List<JobState>? states = null;
        if (!string.IsNullOrEmpty(state))
        {
            states = [];
            foreach (var name in state.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var match = Enum.GetValues<JobState>().Where(s => s.ToWireName() == name).ToList();
                if (match.Count == 0)
                    return (null, Problems.Invalid("state", $"'{name}' is not a state; use scheduled, pending, running, awaiting_input, succeeded, failed or cancelled."));
                states.Add(match[0]);
            }
        }
        DateTimeOffset? fromTime = null, toTime = null;
        if (from is not null)
        {
            if (!DateTimeOffset.TryParse(from, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var f))
                return (null, Problems.Invalid("from", "must be an RFC 3339 time such as 2026-11-23T08:00:00Z."));
            fromTime = f;
        }
        if (to is not null)
        {
            if (!DateTimeOffset.TryParse(to, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
                return (null, Problems.Invalid("to", "must be an RFC 3339 time such as 2026-11-23T08:00:00Z."));
            toTime = t;
        }
        return (new JobQuery
        {
            States = states,
            Kind = type,
            Queue = queue,
            User = owner,
            Tenant = tenant,
            Tag = tag,
            CreatedFrom = fromTime,
            CreatedBefore = toTime,
            Cursor = cursor,
            Limit = limit ?? 100,
        }, null);
    }

    private static async Task<IResult> Get(HttpContext http, IJobClient client, long id)
    {
        var job = await client.GetAsync(id, http.RequestAborted);
        return job is not null && Caller.From(http.User).CanSee(job) ? Results.Ok(JobDto.From(job)) : Problems.NotFound($"Job {id}");
    }

    private static async Task<IResult> History(HttpContext http, IJobClient client, long id)
    {
        var job = await client.GetAsync(id, http.RequestAborted);
        if (job is null || !Caller.From(http.User).CanSee(job))
            return Problems.NotFound($"Job {id}");
        var events = await client.GetHistoryAsync(id, http.RequestAborted);
        return Results.Ok(new EventPageDto([.. events.Select(e => EventDto.From(e, job))], events.Count > 0 ? events[^1].Id : 0));
    }

    private static async Task<IResult> Cancel(HttpContext http, IJobClient client, long id)
    {
        var (job, problem) = await Actionable(http, client, id);
        if (problem is not null)
            return problem;
        var result = await client.CancelAsync(job!.Id, Caller.From(http.User).User, http.RequestAborted);
        return result.Outcome switch
        {
            JobCancelOutcome.NotFound => Problems.NotFound($"Job {id}"),
            JobCancelOutcome.AlreadyFinished => Problems.Result(StatusCodes.Status409Conflict, "already-finished", "The job already finished",
                $"Job {id} is {result.Job!.State.ToWireName()}; only waiting or running jobs can be cancelled.", jobId: id),
            JobCancelOutcome.CancelRequested => Results.Accepted($"{http.Request.PathBase}{http.Request.Path.Value![..^"/cancel".Length]}", JobDto.From(result.Job!)),
            _ => Results.Ok(JobDto.From(result.Job!)),
        };
    }

    private static async Task<IResult> Requeue(HttpContext http, IJobClient client, long id)
    {
        var (job, problem) = await Actionable(http, client, id);
        if (problem is not null)
            return problem;
        var result = await client.RequeueAsync(job!.Id, Caller.From(http.User).User, http.RequestAborted);
        return result.Outcome switch
        {
            JobRequeueOutcome.NotFound => Problems.NotFound($"Job {id}"),
            JobRequeueOutcome.NotFailed => Problems.Result(StatusCodes.Status409Conflict, "not-dead-lettered", "The job is not in the dead-letter queue",
                $"Job {id} is {result.Job!.State.ToWireName()}; only failed jobs can be requeued.", jobId: id),
            _ => Results.Ok(JobDto.From(result.Job!)),
        };
    }

    private static async Task<(JobInfo? Job, IResult? Problem)> Actionable(HttpContext http, IJobClient client, long id)
    {
        var caller = Caller.From(http.User);
        var job = await client.GetAsync(id, http.RequestAborted);
        if (job is null || !caller.CanSee(job))
            return (null, Problems.NotFound($"Job {id}"));
        return caller.CanAct ? (job, null) : (null, Problems.Forbidden("A viewer key cannot change jobs."));
    }

    private static Task<IResult> DeadLetters(HttpContext http, IJobClient client, string? type, string? queue, string? owner, string? tenant, string? cursor) =>
        List(http, client, "failed", type, queue, owner, tenant, null, null, null, cursor);

    private static async Task<IResult> RequeueMany(HttpContext http, IJobClient client, IOptions<ConveyorServerOptions> options)
    {
        var caller = Caller.From(http.User);
        if (!caller.CanAct)
            return Problems.Forbidden("A viewer key cannot change jobs.");
        var (request, problem) = await ApiJson.ReadAsync<RequeueManyRequest>(http, options.Value.MaxRequestBodyBytes);
        if (problem is not null)
            return problem;
        if (request!.Ids is null == (request.Queue is null && request.Type is null))
            return Problems.Invalid("ids", "give either ids, or a queue and/or type to requeue every matching dead letter.");
        var limit = request.Limit ?? 1000;
        if (limit is < 1 or > 1000)
            return Problems.Invalid("limit", "must be between 1 and 1000.");
        IReadOnlyList<long> ids = request.Ids ?? [.. (await client.ListAsync(caller.Scope(new JobQuery
        {
            States = [JobState.Failed], Queue = request.Queue, Kind = request.Type, Limit = limit,
        }), http.RequestAborted)).Jobs.Select(j => j.Id)];
        if (ids.Count > 1000)
            return Problems.Invalid("ids", "may name at most 1000 jobs.");
        List<long> requeued = [], skipped = [];
        foreach (var id in ids)
        {
            var job = await client.GetAsync(id, http.RequestAborted);
            var ok = job is not null && caller.CanSee(job)
                && (await client.RequeueAsync(id, caller.User, http.RequestAborted)).Outcome == JobRequeueOutcome.Requeued;
            (ok ? requeued : skipped).Add(id);
        }
        return Results.Ok(new RequeueManyResponse(requeued, skipped));
    }
}
