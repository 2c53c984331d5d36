namespace Conveyor.Samples;

/// <summary>A report built in three phases, reporting progress as it goes.</summary>
public sealed record GenerateReport(string Title);

public sealed class GenerateReportHandler : IJobHandler<GenerateReport>
{
    private static readonly string[] Phases = ["collect", "analyse", "render"];

    public async Task HandleAsync(JobContext<GenerateReport> job, CancellationToken cancellationToken)
    {
        for (var i = 0; i < Phases.Length; i++)
        {
            await job.ReportProgressAsync(100.0 * i / Phases.Length, Phases[i], $"{Phases[i]} for '{job.Payload.Title}'");
            await Task.Delay(TimeSpan.FromMilliseconds(700), cancellationToken);
        }
        var path = Path.Combine(Path.GetTempPath(), $"report-{job.JobId}.txt");
        await File.WriteAllTextAsync(path, $"{job.Payload.Title}: all good.\n", cancellationToken);
        await job.ReportProgressAsync(100, "done", "report written");
        job.SetResult(new { pages = 3 });
        job.AddArtifact("report", path, "text/plain");
    }
}

/// <summary>Calls an upstream that fails twice with a transient error, then answers.</summary>
public sealed record SyncInventory(string Warehouse);

public sealed class SyncInventoryHandler : IJobHandler<SyncInventory>
{
    public Task HandleAsync(JobContext<SyncInventory> job, CancellationToken cancellationToken) =>
        job.Attempt < 3
            ? throw new HttpRequestException($"inventory service for {job.Payload.Warehouse} answered 503 (attempt {job.Attempt})")
            : Task.CompletedTask;
}

/// <summary>Refers to an invoice that does not exist: retrying cannot help, so it fails permanently.</summary>
public sealed record SendInvoice(string InvoiceId);

public sealed class SendInvoiceHandler : IJobHandler<SendInvoice>
{
    public Task HandleAsync(JobContext<SendInvoice> job, CancellationToken cancellationToken) =>
        throw new PermanentJobException($"invoice {job.Payload.InvoiceId} does not exist");
}

/// <summary>One verification run of a lab session; runs of one session go one at a time, in order.</summary>
public sealed record VerifyRun(string Session, int Run);

public sealed class VerifyRunHandler : IJobHandler<VerifyRun>
{
    public async Task HandleAsync(JobContext<VerifyRun> job, CancellationToken cancellationToken)
    {
        await job.LogAsync($"verifying run {job.Payload.Run} of {job.Payload.Session}");
        await Task.Delay(TimeSpan.FromMilliseconds(400), cancellationToken);
    }
}
