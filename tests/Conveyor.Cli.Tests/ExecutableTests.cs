using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Conveyor.Cli.Tests;

/// <summary>The built <c>conveyor</c> executable, as separate processes: <c>serve --samples</c>, then <c>enqueue --wait</c>.</summary>
public sealed partial class ExecutableTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("conveyor-cli-exe-").FullName;

    [Fact]
    public async Task Serve_prints_the_admin_key_and_enqueue_wait_exits_by_the_jobs_outcome()
    {
        var lines = new List<string>();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = Start(["serve", "--samples", "--store", $"sqlite:{Path.Combine(_directory, "exe.db")}", "--urls", "http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning"], environment: null);
        server.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (lines)
                lines.Add(e.Data);
            if (e.Data.StartsWith("Conveyor is listening on ", StringComparison.Ordinal))
                listening.TrySetResult(e.Data["Conveyor is listening on ".Length..].Split(' ')[0]);
        };
        server.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("conveyor serve exited: " + string.Join('\n', lines)));
        server.Start();
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            var url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            string key;
            lock (lines)
                key = lines.Select(l => KeyLine().Match(l)).First(m => m.Success).Groups[1].Value;
            var environment = new Dictionary<string, string> { ["CONVEYOR_URL"] = url, ["CONVEYOR_KEY"] = key };

            var (ok, okOut, okErr) = await RunAsync(["enqueue", "lab.verify", "--payload", """{"session":"s-1","run":1}""", "--wait"], environment);
            Assert.True(ok == 0, $"exit {ok}: {okOut} {okErr}");
            Assert.Matches(@"job \d+ succeeded after 1 attempt", okOut);

            var (failed, failedOut, failedErr) = await RunAsync(["enqueue", "invoice.send", "--payload", """{"invoiceId":"INV-404"}""", "--wait"], environment);
            Assert.Equal(ExitCodes.Failure, failed);
            Assert.Equal("", failedErr);
            Assert.Matches(@"job \d+ failed after 1 attempt: invoice INV-404 does not exist", failedOut);

            var (notFound, _, notFoundErr) = await RunAsync(["status", "123456"], environment);
            Assert.Equal(ExitCodes.NotFound, notFound);
            Assert.Equal("conveyor: job 123456 was not found (404)", notFoundErr.Trim());
        }
        finally
        {
            if (!server.HasExited)
                server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static async Task<(int ExitCode, string Out, string Error)> RunAsync(string[] args, Dictionary<string, string> environment)
    {
        using var process = Start(args, environment);
        process.Start();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private static Process Start(string[] args, Dictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(Executable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment.Remove("CONVEYOR_URL");
        start.Environment.Remove("CONVEYOR_KEY");
        foreach (var (name, value) in environment ?? [])
            start.Environment[name] = value;
        // The app host finds the runtime of the dotnet running this test.
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(self);
        return new Process { StartInfo = start, EnableRaisingEvents = true };
    }

    /// <summary>The CLI's build output: src/Conveyor.Cli/bin/&lt;configuration&gt;/&lt;framework&gt;/conveyor.</summary>
    private static string Executable()
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent!;
        var repository = configuration.Parent!.Parent!.Parent!.Parent!;
        var path = Path.Combine(repository.FullName, "src", "Conveyor.Cli", "bin", configuration.Name, framework.Name, OperatingSystem.IsWindows() ? "conveyor.exe" : "conveyor");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The conveyor executable is not built at {path}; build the solution.", path);
    }

    [GeneratedRegex(@"^\s+(cvk_\S+)$")]
    private static partial Regex KeyLine();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still closing; the temp directory is the OS's to clean.
        }
    }
}
