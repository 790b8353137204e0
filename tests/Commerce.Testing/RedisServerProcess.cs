using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Commerce.Testing;

/// <summary>
/// A private <c>redis-server</c> that a test owns and may kill and restart (never the shared one the test command
/// started): 127.0.0.1, a free port, a temporary folder, no persistence, so a restart comes back empty as after a crash.
/// Under <c>CI=true</c> a missing <c>redis-server</c> is a failure; locally the test is skipped.
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly string _executable;
    private readonly string _directory;
    private Process? _process;

    private RedisServerProcess(string executable, string directory, int port)
    {
        _executable = executable;
        _directory = directory;
        Port = port;
    }

    /// <summary>The port the server listens on (kept across restarts).</summary>
    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string of the server.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a server on a free port.</summary>
    public static async Task<RedisServerProcess> StartAsync()
    {
        var executable = FindExecutable();
        if (executable is null)
        {
            const string Message = "redis-server is not installed (eng/servers.sh installs it).";
            if (TestServers.IsCi)
            {
                Assert.Fail(Message + " Under CI a missing server is a failure.");
            }

            Assert.Skip(Message);
        }

        var directory = Directory.CreateTempSubdirectory("commerce-redis-").FullName;
        var server = new RedisServerProcess(executable!, directory, FreePort());
        await server.RestartAsync();
        return server;
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit();
            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Starts the server again (empty) on the same port, after <see cref="Kill"/>, and waits until it answers.</summary>
    public async Task RestartAsync()
    {
        Kill();
        var start = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dir", _directory, "--save", "", "--appendonly", "no", "--protected-mode", "yes" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (await PingAsync())
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException($"redis-server did not answer on {Endpoint}.");
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindExecutable()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
