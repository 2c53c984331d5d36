using System.Globalization;

namespace Conveyor.Cli.Tests;

public sealed class InteractionTests(CliServer server) : IClassFixture<CliServer>
{
    private static string S(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Submits a test.ask job with <paramref name="key"/>, waits until it asks, and returns the job's and the question's ids.</summary>
    private async Task<(long Job, long Interaction)> AskAsync(string key, string topic)
    {
        var submitted = (await server.RunAsync(["enqueue", "test.ask", "--payload", $$"""{"topic":"{{topic}}"}""", "--json"], key)).AssertSuccess();
        var job = submitted.Json().GetProperty("id").GetInt64();
        await server.WaitForStateAsync(job, "awaiting_input");
        var inbox = (await server.RunAsync(["inbox", "--job", S(job), "--json"], key)).AssertSuccess().Json();
        return (job, Assert.Single(inbox.GetProperty("interactions").EnumerateArray()).GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Inbox_lists_the_pending_question_and_answer_with_json_resumes_the_job()
    {
        var ada = await server.KeyAsync("ann", "acme", "submitter");   // a user of its own: the inbox holds only this test's question
        var (job, id) = await AskAsync(ada, "onboarding");

        var inbox = (await server.RunAsync(["inbox"], ada)).AssertSuccess();
        Assert.Matches(@"^ID\s+JOB\s+TYPE\s+TITLE\s+ASKED\s+DEADLINE$", inbox.OutLines[0]);
        Assert.Matches($@"^\s*{id}\s+{job}\s+test\.ask\s+Clarify onboarding\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d{{4}}-", inbox.OutLines[1]);
        var json = (await server.RunAsync(["inbox", "--json"], ada)).AssertSuccess().Json();
        Assert.Equal("pending", json.GetProperty("interactions")[0].GetProperty("state").GetString());

        var answered = (await server.RunAsync(["answer", S(id), "--answer", """{"scope":"team","go":true,"notes":"short"}"""], ada)).AssertSuccess();
        Assert.Equal($"interaction {id} answered; job {job} resumes", answered.Out.Trim());
        var done = await server.WaitForStateAsync(job, "succeeded", "failed");
        Assert.Equal("succeeded", done.GetProperty("state").GetString());
        Assert.Equal("team", done.GetProperty("result").GetProperty("scope").GetString());
        Assert.Equal("short", done.GetProperty("result").GetProperty("notes").GetString());

        Assert.Equal("no questions", (await server.RunAsync(["inbox"], ada)).AssertSuccess().Out.Trim());
        (await server.RunAsync(["answer", S(id), "--answer", """{"scope":"team","go":true}"""], ada)).AssertError(ExitCodes.Failure, "conveyor: interaction");
    }

    [Fact]
    public async Task An_answer_from_a_file_works_too()
    {
        var ada = await server.KeyAsync("ada", "acme", "submitter");
        var (job, id) = await AskAsync(ada, "from a file");
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, """{"scope":"company","go":false}""");
            (await server.RunAsync(["answer", S(id), "--answer-file", file, "--json"], ada)).AssertSuccess();
            var done = await server.WaitForStateAsync(job, "succeeded", "failed");
            Assert.Equal("company", done.GetProperty("result").GetProperty("scope").GetString());
            Assert.False(done.GetProperty("result").GetProperty("go").GetBoolean());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Answer_errors_are_one_line_with_their_exit_codes()
    {
        var ada = await server.KeyAsync("ada", "acme", "submitter");
        var bob = await server.KeyAsync("bob", "acme", "submitter");
        var eve = await server.KeyAsync("eve", "globex", "submitter");
        var (_, id) = await AskAsync(ada, "errors");
        const string good = """{"scope":"team","go":true}""";

        (await server.RunAsync(["answer", "999999", "--answer", good], ada)).AssertError(ExitCodes.NotFound, "conveyor: interaction 999999 was not found (404)");
        (await server.RunAsync(["answer", S(id), "--answer", good], eve)).AssertError(ExitCodes.NotFound, $"conveyor: interaction {id} was not found (404)");
        (await server.RunAsync(["answer", S(id), "--answer", good], bob)).AssertError(ExitCodes.Unauthorized, "conveyor: not allowed:");
        (await server.RunAsync(["answer", S(id), "--answer", """{"scope":"everyone","go":true}"""], ada)).AssertError(ExitCodes.Usage, "conveyor: answer.scope: must be one of");
        (await server.RunAsync(["answer", S(id), "--answer", "{nope"], ada)).AssertError(ExitCodes.Usage, "conveyor: --answer: is not valid JSON");
        (await server.RunAsync(["answer", S(id), "--answer", "[1]"], ada)).AssertError(ExitCodes.Usage, "conveyor: --answer: must be a JSON object");
        (await server.RunAsync(["answer", S(id), "--answer-file", "/no/such/file.json"], ada)).AssertError(ExitCodes.Usage, "conveyor: --answer-file: cannot read");
        (await server.RunAsync(["answer", S(id), "--answer", good, "--answer-file", "x.json"], ada)).AssertError(ExitCodes.Usage, "conveyor: give --answer or --answer-file, not both");
        (await server.RunAsync(["answer", "x", "--answer", good], ada)).AssertError(ExitCodes.Usage, "conveyor: id: 'x' is not an interaction id");
        (await server.RunAsync(["answer", S(id)], ada, input: new StringReader(""), inputIsTerminal: false))
            .AssertError(ExitCodes.Usage, "conveyor: no answer: pass --answer");
        (await server.RunAsync(["inbox", "--state", "waiting"], ada)).AssertError(ExitCodes.Usage, "conveyor: state:");

        // Still pending after all that: the owner answers it.
        (await server.RunAsync(["answer", S(id), "--answer", good], ada)).AssertSuccess();
    }

    [Fact]
    public async Task Without_an_answer_it_asks_each_question_on_the_terminal()
    {
        var ada = await server.KeyAsync("ada", "acme", "submitter");
        var (job, id) = await AskAsync(ada, "interactive");

        // A wrong number is asked again, the optional text is skipped, a wrong confirmation is asked again.
        var result = (await server.RunAsync(["answer", S(id)], ada, input: new StringReader("3\n2\n\nmaybe\ny\n"))).AssertSuccess();
        Assert.Contains($"Clarify interactive (job {job}, test.ask)", result.Out);
        Assert.Contains("1/3 Who is it for?", result.Out);
        Assert.Contains("  1) team", result.Out);
        Assert.Contains("  2) company", result.Out);
        Assert.Contains("enter a number from 1 to 2", result.Out);
        Assert.Contains("2/3 Anything else? (optional: press Enter to skip)", result.Out);
        Assert.Contains("  | A plan for interactive", result.Out);
        Assert.Contains("answer y or n", result.Out);
        Assert.EndsWith($"interaction {id} answered; job {job} resumes", result.Out.Trim());

        var done = await server.WaitForStateAsync(job, "succeeded", "failed");
        Assert.Equal("company", done.GetProperty("result").GetProperty("scope").GetString());
        Assert.True(done.GetProperty("result").GetProperty("go").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, done.GetProperty("result").GetProperty("notes").ValueKind);
    }

    [Fact]
    public async Task Input_that_ends_before_the_last_question_answers_nothing()
    {
        var ada = await server.KeyAsync("ada", "acme", "submitter");
        var (_, id) = await AskAsync(ada, "cut short");
        var result = await server.RunAsync(["answer", S(id)], ada, input: new StringReader("1\nsome notes\n"));
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal("conveyor: no answer: the input ended before every question was answered", result.Error.Trim());
        var still = (await server.RunAsync(["inbox", "--json"], ada)).AssertSuccess().Json();
        Assert.Contains(still.GetProperty("interactions").EnumerateArray(), i => i.GetProperty("id").GetInt64() == id);

        // Someone else's question is refused before anything is asked.
        var bob = await server.KeyAsync("bob", "acme", "submitter");
        (await server.RunAsync(["answer", S(id)], bob, input: new StringReader("1\n"))).AssertError(ExitCodes.NotFound, $"conveyor: interaction {id} was not found (404)");
    }
}
