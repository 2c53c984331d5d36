using System.Net;
using Conveyor.Samples;

namespace Conveyor.Server.Tests;

/// <summary>
/// The skill-creation sample end to end through HTTP: it refines, asks its submitter, waits across a server restart
/// holding nothing, takes the answer and finishes; no finished step runs again.
/// </summary>
public sealed class SkillSampleTests
{
    [Fact]
    public async Task A_skill_job_waits_for_its_answer_across_a_server_restart_and_finishes_without_redoing_a_step()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"conveyor-skill-{Guid.NewGuid():N}");
        try
        {
            string adminKey;
            string adaKey;
            long jobId;
            await using (var first = await ServerFixture.StartAsync([], bootstrapKey: true, directory, o => SampleJobs.AddTo(o)))
            {
                adminKey = first.AdminKey;
                adaKey = await first.KeyAsync("ada", "acme", "submitter");
                using var ada = first.Client(adaKey);
                var created = await ada.PostJsonAsync("/v1/jobs", """{"type":"skill.create","payload":{"idea":"triage bug reports"}}""");
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                jobId = (await created.JsonAsync()).GetProperty("id").GetInt64();
                var waiting = await ada.WaitForStateAsync(jobId, "awaiting_input");
                Assert.Equal("clarify", waiting.GetProperty("progress").GetProperty("phase").GetString());
            }

            // A new server process on the same store: the question is still there, and nothing holds the job.
            await using var second = await ServerFixture.StartAsync([], bootstrapKey: false, directory, o => SampleJobs.AddTo(o));
            using var adaAgain = second.Client(adaKey);
            var inbox = (await (await adaAgain.GetAsync("/v1/interactions?state=pending")).JsonAsync()).GetProperty("interactions");
            var question = Assert.Single(inbox.EnumerateArray());
            Assert.Equal(jobId, question.GetProperty("jobId").GetInt64());
            Assert.Contains("triage bug reports", question.GetProperty("prompt").GetRawText());
            var id = question.GetProperty("id").GetInt64();

            var answered = await adaAgain.PostJsonAsync($"/v1/interactions/{id}/answer", """{"audience":"team","notes":"label by component","go":true}""");
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
            var done = await adaAgain.WaitForStateAsync(jobId, "succeeded", "failed");
            Assert.Equal("succeeded", done.GetProperty("state").GetString());
            Assert.Equal("team", done.GetProperty("result").GetProperty("audience").GetString());

            var history = (await (await adaAgain.GetAsync($"/v1/jobs/{jobId}/history")).JsonAsync()).GetProperty("events").EnumerateArray().ToList();
            var steps = history.Where(e => e.GetProperty("kind").GetString() == "step_completed").Select(e => e.GetProperty("message").GetString()).ToList();
            Assert.Equal(3, steps.Count);   // refine, draft, validate: each exactly once, though the handler ran twice
            Assert.Single(history, e => e.GetProperty("kind").GetString() == "input_requested");
            Assert.Single(history, e => e.GetProperty("kind").GetString() == "input_received" && e.GetProperty("actor").GetString() == "ada");
            Assert.Equal(2, history.Count(e => e.GetProperty("kind").GetString() == "started"));
            using var admin = second.Client(adminKey);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/v1/jobs/{jobId}")).StatusCode);
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A file still closing; the temp directory is the OS's to clean.
            }
        }
    }
}
