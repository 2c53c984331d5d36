using Conveyor.HumanInput;
using Conveyor.Storage;

namespace Conveyor.Client;

internal sealed partial class JobClient
{
    public async Task<InteractionInfo?> GetInteractionAsync(long interactionId, CancellationToken cancellationToken = default) =>
        await (await _store.GetAsync(cancellationToken)).InteractionGetAsync(interactionId, cancellationToken);

    public async Task<InteractionPage> ListInteractionsAsync(InteractionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > 1000)
            throw new JobValidationException("limit", $"must be between 1 and 1000 (is {query.Limit}).");
        if (query.Cursor is not null && !InteractionCursor.TryDecode(query.Cursor, out _))
            throw new JobValidationException("cursor", "is not a cursor this server issued.");
        return await (await _store.GetAsync(cancellationToken)).InteractionsListAsync(query, cancellationToken);
    }

    public async Task<InteractionAnswerResult> AnswerAsync(long interactionId, string answerJson, JobPrincipal actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var store = await _store.GetAsync(cancellationToken);
        var interaction = await store.InteractionGetAsync(interactionId, cancellationToken);
        if (interaction is null)
            return new InteractionAnswerResult(InteractionAnswerOutcome.NotFound, null);
        // Who may answer comes before the answer's shape: a stranger learns nothing about the prompt from errors.
        if (!interaction.MayAnswer(actor))
            return new InteractionAnswerResult(InteractionAnswerOutcome.NotAllowed, interaction);
        switch (interaction.State)
        {
            case InteractionState.Answered:
                return new InteractionAnswerResult(InteractionAnswerOutcome.AlreadyAnswered, interaction);
            case InteractionState.Expired or InteractionState.Cancelled:
                return new InteractionAnswerResult(InteractionAnswerOutcome.Closed, interaction);
        }
        var answer = AnswerValidator.Validate(interaction.Prompt, answerJson);
        var outcome = await store.InteractionAnswerAsync(new InteractionAnswerParams(interactionId, answer, actor.User), cancellationToken);
        return new InteractionAnswerResult(outcome, await store.InteractionGetAsync(interactionId, cancellationToken));
    }
}
