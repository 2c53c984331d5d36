using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conveyor.Cli.Http;
using Conveyor.Cli.Output;
using static Conveyor.Cli.Commands.CommonArguments;

namespace Conveyor.Cli.Commands;

/// <summary><c>inbox</c> and <c>answer</c>: the questions jobs ask the caller, and answering them.</summary>
internal static class InteractionCommands
{
    public static IEnumerable<Command> Create(CliContext cli) => [Inbox(cli), Answer(cli)];

    private static Argument<long> InteractionId() => new("id")
    {
        Description = "The question's (interaction's) id, as 'conveyor inbox' lists it",
        CustomParser = r =>
        {
            var token = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id >= 1)
                return id;
            r.AddError($"id: '{token}' is not an interaction id (a whole number from 1)");
            return 0;
        },
    };

    private static Command Inbox(CliContext cli)
    {
        var state = new Option<string?>("--state", "-s") { Description = "Questions in this state: pending, answered, expired, cancelled [default: pending]" };
        var job = new Option<long?>("--job") { Description = "Only this job's questions" };
        var limit = new Option<int?>("--limit", "-n") { Description = "At most this many, 1 to 1000 [default: 50]" };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after the previous page (its next cursor)" };
        var command = new Command("inbox", "List the questions waiting for you (or your roles), newest first") { state, job, limit, cursor };
        command.SetAction(cli.Remote(async run =>
        {
            var text = await run.Api.GetAsync("v1/interactions" + Query(
                ("state", run.Result.GetValue(state) ?? "pending"), ("jobId", run.Result.GetValue(job)), ("limit", run.Result.GetValue(limit)),
                ("cursor", run.Result.GetValue(cursor))), null, run.CancellationToken);
            if (run.Json)
            {
                await run.PrintJsonAsync(text);
                return ExitCodes.Success;
            }
            var page = ApiJson.Read<InteractionPageModel>(text);
            if (page.Interactions.Count == 0)
            {
                await run.Out.WriteLineAsync("no questions");
                return ExitCodes.Success;
            }
            var table = new Table("ID", "JOB", "TYPE", "TITLE", "ASKED", "DEADLINE").AlignRight("ID", "JOB");
            foreach (var i in page.Interactions)
                table.Add(i.Id, i.JobId, i.JobType, i.Prompt.Title, i.AskedAt, i.Deadline);
            table.WriteTo(run.Out);
            if (page.NextCursor is { } next)
                await run.Out.WriteLineAsync($"more: conveyor inbox --cursor {next}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Answer(CliContext cli)
    {
        var id = InteractionId();
        var answer = new Option<string?>("--answer", "-a") { Description = "The answer: a JSON object with a property per question id, e.g. {\"scope\":\"team\",\"go\":true}" };
        var file = new Option<string?>("--answer-file") { Description = "Read the answer's JSON object from this file" };
        var command = new Command("answer", "Answer a question; without --answer or --answer-file, asks each question in the terminal") { id, answer, file };
        command.SetAction(cli.Local(async (result, cancellationToken) =>
        {
            var interactionId = result.GetValue(id);
            var given = result.GetValue(answer);
            var path = result.GetValue(file);
            if (given is not null && path is not null)
                throw CliException.Usage("give --answer or --answer-file, not both");
            if (given is null && path is null && !cli.InputIsTerminal)
                throw CliException.Usage("no answer: pass --answer '<json>' or --answer-file <path>, or run in a terminal to be asked");
            JsonElement? body = given is not null ? ParseAnswer(given, "--answer")
                : path is not null ? ParseAnswer(ReadFile(path), "--answer-file")
                : null;
            return await cli.Remote(async run =>
            {
                var subject = $"interaction {Id(interactionId)}";
                var json = body ?? await AskAsync(run, interactionId, subject);
                var text = await run.Api.PostAsync($"v1/interactions/{Id(interactionId)}/answer", json, subject, run.CancellationToken);
                if (run.Json)
                {
                    await run.PrintJsonAsync(text);
                    return ExitCodes.Success;
                }
                var answered = ApiJson.Read<InteractionModel>(text);
                await run.Out.WriteLineAsync($"interaction {Id(answered.Id)} answered; job {Id(answered.JobId)} resumes");
                return ExitCodes.Success;
            })(result, cancellationToken);
        }));
        return command;
    }

    private static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"--answer-file: cannot read '{path}' ({ApiErrors.Sentence(e.Message)})");
        }
    }

    private static JsonElement ParseAnswer(string json, string option)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw CliException.Usage($"{option}: must be a JSON object with a property per question id");
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw CliException.Usage($"{option}: is not valid JSON ({ApiErrors.Sentence(e.Message)})");
        }
    }

    /// <summary>Asks each question of the prompt on the terminal and builds the answer object.</summary>
    private static async Task<JsonElement> AskAsync(Invocation run, long interactionId, string subject)
    {
        var interaction = ApiJson.Read<InteractionModel>(await run.Api.GetAsync($"v1/interactions/{Id(interactionId)}", subject, run.CancellationToken));
        if (interaction.State != "pending")
            throw new CliException(ExitCodes.Failure, $"{subject} is {interaction.State}; only pending questions take answers");
        if (!interaction.CanAnswer)
            throw new CliException(ExitCodes.Unauthorized, $"not allowed: this key's user may not answer {subject} (403)");
        var input = run.Cli.Input;
        var output = run.Out;
        var prompt = interaction.Prompt;
        await output.WriteLineAsync($"{prompt.Title} (job {Id(interaction.JobId)}, {interaction.JobType})");
        if (!string.IsNullOrWhiteSpace(prompt.Text))
            await output.WriteLineAsync(prompt.Text);
        var answer = new JsonObject();
        for (var n = 0; n < prompt.Questions.Count; n++)
        {
            var q = prompt.Questions[n];
            await output.WriteLineAsync();
            await output.WriteLineAsync($"{n + 1}/{prompt.Questions.Count} {q.Label}{(q.Required ? "" : " (optional: press Enter to skip)")}");
            var value = q.Kind switch
            {
                "choice" => await ChoiceAsync(q, input, output, run.CancellationToken),
                "confirm" => await ConfirmAsync(q, input, output, run.CancellationToken),
                _ => await TextAsync(q, input, output, run.CancellationToken),
            };
            if (value is not null)
                answer[q.Id] = value;
        }
        return JsonSerializer.SerializeToElement(answer);
    }

    private static async Task<string> ReadAsync(TextReader input, TextWriter output, string prompt, CancellationToken cancellationToken)
    {
        await output.WriteAsync(prompt);
        await output.FlushAsync(cancellationToken);
        var line = await input.ReadLineAsync(cancellationToken) ?? throw CliException.Usage("no answer: the input ended before every question was answered");
        return line.Trim();
    }

    private static async Task<JsonNode?> ChoiceAsync(QuestionModel q, TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        var choices = q.Choices ?? [];
        for (var i = 0; i < choices.Count; i++)
            await output.WriteLineAsync($"  {i + 1}) {choices[i]}");
        while (true)
        {
            var line = await ReadAsync(input, output, $"choice [1-{choices.Count}]: ", cancellationToken);
            if (line.Length == 0 && !q.Required)
                return null;
            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= 1 && number <= choices.Count)
                return JsonValue.Create(choices[number - 1]);
            await output.WriteLineAsync($"  enter a number from 1 to {choices.Count}");
        }
    }

    private static async Task<JsonNode?> TextAsync(QuestionModel q, TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await ReadAsync(input, output, "> ", cancellationToken);
            if (line.Length > 0)
                return JsonValue.Create(line);
            if (!q.Required)
                return null;
            await output.WriteLineAsync("  an answer is required");
        }
    }

    private static async Task<JsonNode?> ConfirmAsync(QuestionModel q, TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(q.Preview))
        {
            foreach (var line in q.Preview.ReplaceLineEndings("\n").Split('\n'))
                await output.WriteLineAsync($"  | {line}");
        }
        while (true)
        {
            var line = (await ReadAsync(input, output, "[y/n]: ", cancellationToken)).ToLowerInvariant();
            switch (line)
            {
                case "y" or "yes":
                    return JsonValue.Create(true);
                case "n" or "no":
                    return JsonValue.Create(false);
                case "" when !q.Required:
                    return null;
            }
            await output.WriteLineAsync("  answer y or n");
        }
    }
}
