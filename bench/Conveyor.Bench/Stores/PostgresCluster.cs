using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Conveyor.Bench.Stores;

/// <summary>
/// A throw-away PostgreSQL 15 cluster for one benchmark run, started the way <c>./test.sh</c> starts the test
/// cluster: a temporary data directory, a free port on 127.0.0.1, no fsync; initdb and pg_ctl run as the postgres
/// user when we are root (they refuse to run as root). It loads <c>pg_stat_statements</c> when the installation
/// has it (the <c>idle_qps</c> workload reads it). Disposing it stops the server and deletes the directory; so does
/// the process ending normally or by Ctrl+C.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    public const string Database = "conveyor_bench";

    private readonly string _bin;
    private readonly string _directory;
    private int _stopped;

    private PostgresCluster(string bin, string directory, int port, bool statStatements)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
        HasStatStatements = statStatements;
        ConnectionString = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Database = Database }.ConnectionString;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    public int Port { get; }
    public string ConnectionString { get; }
    public bool HasStatStatements { get; }

    /// <summary>
    /// The server's settings: those of test.sh (no durability, so the figures measure the engine and the SQL rather
    /// than this VM's ~2.5 ms fsync) plus a shared buffer pool large enough for the million-job backlog.
    /// </summary>
    private static readonly string[] Settings =
    [
        "listen_addresses=127.0.0.1", "fsync=off", "synchronous_commit=off", "full_page_writes=off",
        "max_connections=300", "shared_buffers=1GB",
    ];

    public static async Task<PostgresCluster> StartAsync(CancellationToken cancellationToken)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL 15 (initdb, pg_ctl) was not found in /usr/lib/postgresql/15/bin or on PATH; install postgresql-15 or pass --pg <connection string>.");
        if (Environment.IsPrivilegedProcess)
            await RunAsync("sh", ["-c", "id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres"], asPostgres: false, cancellationToken);
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("The throw-away cluster is for Linux; pass --pg <connection string>.");
        var directory = Directory.CreateTempSubdirectory("conveyor-bench-pg.").FullName;
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        if (Environment.IsPrivilegedProcess)
            await RunAsync("chown", ["postgres", directory], asPostgres: false, cancellationToken);
        var data = Path.Combine(directory, "data");
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], asPostgres: true, cancellationToken);

        var statStatements = HasLibrary(bin, "pg_stat_statements");
        var settings = statStatements ? [.. Settings, "shared_preload_libraries=pg_stat_statements"] : Settings;
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var options = $"-p {port} -k {directory} " + string.Join(' ', settings.Select(s => $"-c {s}"));
            try
            {
                await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(directory, "server.log"), "-w", "-t", "60", "start", "-o", options], asPostgres: true, cancellationToken);
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                continue; // most likely someone took the port meanwhile
            }
            var cluster = new PostgresCluster(bin, directory, port, statStatements);
            try
            {
                await cluster.CreateDatabaseAsync(cancellationToken);
                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }
    }

    private async Task CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Database}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        if (!HasStatStatements)
            return;
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static string? FindBinaries()
    {
        var candidates = new List<string> { "/usr/lib/postgresql/15/bin" };
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            candidates.Add(dir);
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    /// <summary>Whether the server can load <paramref name="name"/> (Debian keeps the modules in ../lib beside bin).</summary>
    private static bool HasLibrary(string bin, string name) =>
        File.Exists(Path.Combine(bin, "..", "lib", name + ".so")) || File.Exists(Path.Combine("/usr/lib/postgresql/15/lib", name + ".so"));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] args, bool asPostgres, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(asPostgres && Environment.IsPrivilegedProcess ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres && Environment.IsPrivilegedProcess)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file })
                start.ArgumentList.Add(a);
        }
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed with exit code {process.ExitCode}:\n{await output}{await errors}");
    }

    /// <summary>Stops the server at once (nothing in it is worth a clean shutdown) and deletes its directory.</summary>
    private void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        try
        {
            RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"], asPostgres: true, CancellationToken.None)
                .GetAwaiter().GetResult();
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"warning: stopping the benchmark's PostgreSQL failed: {e.Message}");
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp clean-up.
        }
    }

    public ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        Stop();
        return ValueTask.CompletedTask;
    }
}
