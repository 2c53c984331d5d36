using System.Text.Json;
using Conveyor.Server.Auth;
using Conveyor.Storage;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Api;

/// <summary>Questions jobs ask people: the caller's inbox, one question, and answering it.</summary>
internal static class InteractionEndpoints
{
    // How many rows one inbox request may read from the store while looking for the caller's questions among its tenant's.
    private const int ScanPageSize = 200;
    private const int MaxScannedPages = 20;

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapGet("/interactions", List).WithName("ListInteractions")
            .WithSummary("The caller's inbox: questions it may see or answer, newest first, with filters and a cursor").Produces<InteractionPageDto>();
        v1.MapGet("/interactions/{id:long}", Get).WithName("GetInteraction").WithSummary("Read one question").Produces<InteractionDto>();
        v1.MapPost("/interactions/{id:long}/answer", Answer).WithName("AnswerInteraction")
            .WithSummary("Answer a question: the body is a JSON object with a property per question id")
            .Accepts<JsonElement>(isOptional: true, "application/json").Produces<InteractionDto>();
    }

    /// <summary>What the caller sees: a job it may see (admin all, operator its tenant, others their own), or a question it may answer.</summary>
    private static bool Visible(Caller caller, InteractionInfo i) => caller.CanSee(i.Tenant, i.User) || i.MayAnswer(caller.Principal);

    private static async Task<IResult> List(HttpContext http, IJobClient client, string? state, string? cursor)
    {
        var caller = Caller.From(http.User);
        if (!QueryArgs.TryLong(http, "limit", 1, 1000, out var limitArg, out var bad) || !QueryArgs.TryLong(http, "jobId", 1, long.MaxValue, out var jobId, out bad))
            return bad!;
        InteractionState? wanted = null;
        if (!string.IsNullOrEmpty(state))
        {
            var match = Enum.GetValues<InteractionState>().Where(s => s.ToWireName() == state).ToList();
            if (match.Count == 0)
                return Problems.Invalid("state", $"'{state}' is not a state; use pending, answered, expired or cancelled.");
            wanted = match[0];
        }
        if (cursor is not null && !InteractionCursor.TryDecode(cursor, out _))
            return Problems.Invalid("cursor", "is not a cursor this server issued.");
        var limit = (int)(limitArg ?? 50);
        var query = new InteractionQuery { State = wanted, JobId = jobId, Cursor = cursor, Limit = limit };
        return await Submitting.Run(async () =>
        {
            InteractionPage page;
            if (caller.IsAdmin)
                page = await client.ListInteractionsAsync(query, http.RequestAborted);
            else if (caller.IsOperator)
                page = await client.ListInteractionsAsync(query with { Tenant = caller.Tenant ?? "" }, http.RequestAborted);
            else
                page = await ScanAsync(client, caller, query with { Tenant = caller.Tenant ?? "" }, limit, http.RequestAborted);
            return Results.Ok(new InteractionPageDto([.. page.Interactions.Select(i => InteractionDto.From(i, caller))], page.NextCursor));
        });
    }

    // Below operator the caller's questions are those of the jobs it submitted plus those a prompt lets it answer (by
    // name or role); the store filters by submitter only, so read the tenant's newest first and keep what is visible.
    private static async Task<InteractionPage> ScanAsync(IJobClient client, Caller caller, InteractionQuery query, int limit, CancellationToken cancellationToken)
    {
        var found = new List<InteractionInfo>(limit);
        var cursor = query.Cursor;
        for (var pages = 0; pages < MaxScannedPages; pages++)
        {
            var page = await client.ListInteractionsAsync(query with { Cursor = cursor, Limit = ScanPageSize }, cancellationToken);
            for (var i = 0; i < page.Interactions.Count; i++)
            {
                var interaction = page.Interactions[i];
                if (!Visible(caller, interaction))
                    continue;
                found.Add(interaction);
                if (found.Count == limit)
                {
                    // Full: the next page starts after this one, unless it was the very last the store holds.
                    var last = i == page.Interactions.Count - 1 && page.NextCursor is null;
                    return new InteractionPage(found, last ? null : InteractionCursor.Encode(interaction.Id));
                }
            }
            if (page.NextCursor is null)
                return new InteractionPage(found, null);
            cursor = page.NextCursor;
        }
        // Scanned enough for one request: a short page whose cursor goes on from where the scan stopped.
        return new InteractionPage(found, cursor);
    }

    private static async Task<IResult> Get(HttpContext http, IJobClient client, long id)
    {
        var caller = Caller.From(http.User);
        var interaction = await client.GetInteractionAsync(id, http.RequestAborted);
        return interaction is not null && Visible(caller, interaction)
            ? Results.Ok(InteractionDto.From(interaction, caller))
            : Problems.NotFound($"Interaction {id}");
    }

    private static async Task<IResult> Answer(HttpContext http, IJobClient client, IOptions<ConveyorServerOptions> options, long id)
    {
        var caller = Caller.From(http.User);
        var interaction = await client.GetInteractionAsync(id, http.RequestAborted);
        // Another tenant's question is not there at all for this key; inside the tenant, answering is refused with 403.
        if (interaction is null || (!Visible(caller, interaction) && (interaction.Tenant ?? "") != (caller.Tenant ?? "")))
            return Problems.NotFound($"Interaction {id}");
        var (body, problem) = await ApiJson.ReadAsync<JsonDocument>(http, options.Value.MaxRequestBodyBytes);
        if (problem is not null)
            return problem;
        using (body)
        {
            if (body!.RootElement.ValueKind != JsonValueKind.Object)
                return Problems.Invalid("answer", "must be a JSON object with a property per question id.");
            var answerJson = body.RootElement.GetRawText();
            return await Submitting.Run(async () =>
            {
                var result = await client.AnswerAsync(id, answerJson, caller.Principal, http.RequestAborted);
                return result.Outcome switch
                {
                    InteractionAnswerOutcome.NotFound => Problems.NotFound($"Interaction {id}"),
                    InteractionAnswerOutcome.NotAllowed => Problems.Forbidden(
                        $"This key's user may not answer interaction {id}; the job's submitter, or the users and roles its prompt names, may."),
                    InteractionAnswerOutcome.AlreadyAnswered => Problems.Result(StatusCodes.Status409Conflict, "already-answered", "The question was already answered",
                        $"Interaction {id} was answered by {result.Interaction?.AnsweredBy ?? "someone"}; nothing changed.", jobId: result.Interaction?.JobId),
                    InteractionAnswerOutcome.Closed => Problems.Result(StatusCodes.Status409Conflict, "interaction-closed", "The question is closed",
                        $"Interaction {id} is {result.Interaction!.State.ToWireName()}; only pending questions take answers.", jobId: result.Interaction.JobId),
                    _ => Results.Ok(InteractionDto.From(result.Interaction!, caller)),
                };
            });
        }
    }
}
