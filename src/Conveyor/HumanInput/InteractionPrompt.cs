using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conveyor;

/// <summary>
/// What a job asks a person: a title, an optional text, and one or more questions. Stored as JSON with the
/// interaction and shown by the API, the CLI and the dashboard; an answer is validated against it.
/// </summary>
/// <remarks>
/// The answer to a prompt is one JSON object with a property per question id: a string among the choices for a
/// <see cref="InteractionQuestionKind.Choice"/>, a string for a <see cref="InteractionQuestionKind.Text"/>, and
/// <c>true</c> or <c>false</c> for a <see cref="InteractionQuestionKind.Confirm"/>. A required question must be
/// answered; an optional one may be left out or null.
/// <code>
/// new InteractionPrompt("Clarify the skill", [
///     InteractionQuestion.Choice("scope", "Who is it for?", "team", "company"),
///     InteractionQuestion.Text("notes", "Anything else?", required: false),
///     InteractionQuestion.Confirm("go", "Draft it like this?", preview: "A skill that ..."),
/// ])
/// // answered with {"scope":"team","go":true}
/// </code>
/// </remarks>
/// <param name="Title">A one-line title (required).</param>
/// <param name="Questions">The questions, at least one, with distinct ids.</param>
/// <param name="Text">An optional longer explanation shown above the questions.</param>
public sealed record InteractionPrompt(string Title, IReadOnlyList<InteractionQuestion> Questions, string? Text = null)
{
    /// <summary>The JSON settings prompts are stored with: camelCase names, kinds as camelCase strings, nulls left out.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The prompt as stored: JSON text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a prompt stored by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">The text is not a prompt.</exception>
    public static InteractionPrompt FromJson(string json) =>
        JsonSerializer.Deserialize<InteractionPrompt>(json, JsonOptions) ?? throw new JsonException("The prompt is null.");

    /// <summary>Throws <see cref="JobValidationException"/> naming the field when the prompt is malformed.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Title))
            throw new JobValidationException("prompt.title", "is required.");
        if (Questions is not { Count: > 0 })
            throw new JobValidationException("prompt.questions", "needs at least one question.");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Questions.Count; i++)
        {
            var q = Questions[i];
            var field = $"prompt.questions[{i}]";
            if (q is null)
                throw new JobValidationException(field, "is null.");
            if (string.IsNullOrWhiteSpace(q.Id))
                throw new JobValidationException($"{field}.id", "is required.");
            if (!ids.Add(q.Id))
                throw new JobValidationException($"{field}.id", $"'{q.Id}' is used by another question.");
            if (!Enum.IsDefined(q.Kind))
                throw new JobValidationException($"{field}.kind", $"is not a known kind ({q.Kind}).");
            if (q.Kind == InteractionQuestionKind.Choice && q.Choices is not { Count: > 0 })
                throw new JobValidationException($"{field}.choices", "a choice question needs at least one choice.");
        }
    }
}

/// <summary>One question of an <see cref="InteractionPrompt"/>.</summary>
/// <param name="Id">The question's id: the property of the answer object that answers it.</param>
/// <param name="Kind">What kind of answer it takes.</param>
/// <param name="Label">The question as shown to the person.</param>
/// <param name="Required">Whether the answer must contain it. Default true.</param>
/// <param name="Choices">The allowed answers of a <see cref="InteractionQuestionKind.Choice"/>.</param>
/// <param name="Preview">What a <see cref="InteractionQuestionKind.Confirm"/> asks to confirm (a draft, a plan).</param>
public sealed record InteractionQuestion(
    string Id,
    InteractionQuestionKind Kind,
    string Label,
    bool Required = true,
    IReadOnlyList<string>? Choices = null,
    string? Preview = null)
{
    /// <summary>A question answered by one of <paramref name="choices"/>.</summary>
    public static InteractionQuestion Choice(string id, string label, params string[] choices) =>
        new(id, InteractionQuestionKind.Choice, label, Choices: choices);

    /// <summary>A question answered by free text.</summary>
    public static InteractionQuestion Text(string id, string label, bool required = true) =>
        new(id, InteractionQuestionKind.Text, label, required);

    /// <summary>A yes/no confirmation of <paramref name="preview"/>.</summary>
    public static InteractionQuestion Confirm(string id, string label, string? preview = null) =>
        new(id, InteractionQuestionKind.Confirm, label, Preview: preview);
}

/// <summary>The kinds of <see cref="InteractionQuestion"/>.</summary>
public enum InteractionQuestionKind
{
    /// <summary>One of a list of choices; answered by a string equal to one of them.</summary>
    Choice = 0,

    /// <summary>Free text; answered by a string.</summary>
    Text = 1,

    /// <summary>A yes/no confirmation, often of a preview; answered by <c>true</c> or <c>false</c>.</summary>
    Confirm = 2,
}
