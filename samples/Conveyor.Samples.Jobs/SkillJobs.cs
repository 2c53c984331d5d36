namespace Conveyor.Samples;

/// <summary>Create a skill from an idea: refine it, ask the submitter to clarify, draft it, validate the draft.</summary>
public sealed record CreateSkill(string Idea);

/// <summary>The submitter's answer to the clarifying question.</summary>
public sealed record SkillClarification(string Audience, string? Notes, bool Go);

/// <summary>
/// Four phases, each a step, so a retry or a resume after the answer never redoes a finished one: refine → clarify
/// (asks the person who submitted the job and waits, holding no worker) → draft → validate. The result names the
/// skill, its audience and the number of checks that passed.
/// </summary>
public sealed class CreateSkillHandler : IJobHandler<CreateSkill>
{
    public async Task HandleAsync(JobContext<CreateSkill> job, CancellationToken cancellationToken)
    {
        await job.ReportProgressAsync(0, "refine", "refining the idea");
        var outline = await job.StepAsync("refine", async ct =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(300), ct);   // stands in for a model call
            return $"A skill that helps with: {job.Payload.Idea.Trim()}";
        });

        await job.ReportProgressAsync(25, "clarify", "waiting for your answer");
        var prompt = new InteractionPrompt("Clarify the skill",
        [
            InteractionQuestion.Choice("audience", "Who is it for?", "team", "company"),
            InteractionQuestion.Text("notes", "Anything the draft must cover?", required: false),
            InteractionQuestion.Confirm("go", "Draft it from this outline?", preview: outline),
        ]);
        var answer = await job.AskAsync<SkillClarification>("clarify", prompt, TimeSpan.FromDays(2));
        if (!answer.Go)
            throw new PermanentJobException("the submitter declined the outline");

        await job.ReportProgressAsync(50, "draft", "drafting");
        var draft = await job.StepAsync("draft", async ct =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
            return $"# {job.Payload.Idea}\nFor the {answer.Audience}. {outline}. {answer.Notes}".TrimEnd();
        });

        await job.ReportProgressAsync(75, "validate", "checking the draft");
        var checks = await job.StepAsync("validate", ct => Task.FromResult(draft.Split('\n').Length + (draft.Contains(answer.Audience, StringComparison.Ordinal) ? 1 : 0)));
        await job.ReportProgressAsync(100, "done", "skill created");
        job.SetResult(new { skill = job.Payload.Idea, audience = answer.Audience, checksPassed = checks });
    }
}
