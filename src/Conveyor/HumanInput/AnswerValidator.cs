using System.Text.Json;

namespace Conveyor.HumanInput;

/// <summary>Checks an answer against its prompt's shape; every error names the field (<c>answer.&lt;question id&gt;</c>).</summary>
internal static class AnswerValidator
{
    private const int MaxAnswerBytes = 64 * 1024;

    /// <summary>Returns the answer as it is stored (compact JSON text).</summary>
    /// <exception cref="JobValidationException">The answer does not fit the prompt.</exception>
    public static string Validate(InteractionPrompt prompt, string? answerJson)
    {
        if (string.IsNullOrWhiteSpace(answerJson))
            throw new JobValidationException("answer", "is required: a JSON object with a property per question id.");
        if (System.Text.Encoding.UTF8.GetByteCount(answerJson) > MaxAnswerBytes)
            throw new JobValidationException("answer", $"is larger than {MaxAnswerBytes} bytes.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(answerJson);
        }
        catch (JsonException e)
        {
            throw new JobValidationException("answer", $"is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new JobValidationException("answer", "must be a JSON object with a property per question id.");
            var questions = prompt.Questions.ToDictionary(q => q.Id, StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!questions.ContainsKey(property.Name))
                    throw new JobValidationException($"answer.{property.Name}", "is not a question of this prompt.");
            }
            foreach (var q in prompt.Questions)
            {
                var field = $"answer.{q.Id}";
                if (!root.TryGetProperty(q.Id, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    if (q.Required)
                        throw new JobValidationException(field, "is required.");
                    continue;
                }
                switch (q.Kind)
                {
                    case InteractionQuestionKind.Choice:
                        if (value.ValueKind != JsonValueKind.String || !(q.Choices ?? []).Contains(value.GetString(), StringComparer.Ordinal))
                            throw new JobValidationException(field, $"must be one of {string.Join(", ", (q.Choices ?? []).Select(c => $"\"{c}\""))}.");
                        break;
                    case InteractionQuestionKind.Text:
                        if (value.ValueKind != JsonValueKind.String)
                            throw new JobValidationException(field, "must be a string.");
                        if (q.Required && string.IsNullOrWhiteSpace(value.GetString()))
                            throw new JobValidationException(field, "is required and must not be blank.");
                        break;
                    case InteractionQuestionKind.Confirm:
                        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                            throw new JobValidationException(field, "must be true or false.");
                        break;
                }
            }
            return JsonSerializer.Serialize(root);
        }
    }
}
