using System.Diagnostics;
using System.Globalization;
using System.Text;
using WgSharp.Linux;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Userspace;

/// <summary>
/// The programs the userspace tests run as user nobody (uid 65534): the probe (tests/WgSharp.UserspaceProbe) and the
/// sample (samples/HttpThroughTunnel), each built once per test process into a world-readable directory under /tmp
/// (the checkout may sit where nobody cannot read), with a world-writable HOME so dotnet writes nothing under /root.
/// </summary>
internal static class UnprivilegedProgram
{
    public const int NobodyId = 65534;
    private const string DirectoryPrefix = "wgsharp-userspace-e2e-";
    private static readonly Lazy<string> s_root = new(CreateRoot);
    private static readonly Lazy<string> s_probe = new(() => Build("tests/WgSharp.UserspaceProbe", "probe", "WgSharp.UserspaceProbe.dll"));
    private static readonly Lazy<string> s_sample = new(() => Build("samples/HttpThroughTunnel", "sample", "HttpThroughTunnel.dll"));
    private static readonly Lazy<string> s_cli = new(() => Build("src/WgSharp.Cli", "cli", "WgSharp.Cli.dll"));

    public static string ProbeDll => s_probe.Value;
    public static string SampleDll => s_sample.Value;
    /// <summary>The wgsharp command (`dotnet WgSharp.Cli.dll proxy ...`).</summary>
    public static string CliDll => s_cli.Value;

    /// <summary>A directory nobody can read (for files the programs are given, e.g. a config).</summary>
    public static string SharedDirectory => Path.Combine(s_root.Value, "shared");

    /// <summary>Starts `setpriv --reuid=65534 ... dotnet DLL ARGS`; the caller waits for it.</summary>
    public static RunningProgram Start(string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        TestTiers.RequireRoot("setpriv (running a program as nobody)");
        var start = new ProcessStartInfo("setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { $"--reuid={NobodyId}", $"--regid={NobodyId}", "--clear-groups", "dotnet", dll }.Concat(arguments))
            start.ArgumentList.Add(argument);
        var home = Path.Combine(s_root.Value, "home");
        start.Environment["HOME"] = home;
        start.Environment["DOTNET_CLI_HOME"] = home;
        start.Environment["TMPDIR"] = home;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment.Remove("WGSHARP_AEAD");
        if (environment != null)
            foreach (var (name, value) in environment)
                start.Environment[name] = value;
        return new RunningProgram(Process.Start(start) ?? throw new InvalidOperationException("setpriv did not start"));
    }

    /// <summary>Runs to the end (killed after <paramref name="timeout"/>) and returns what it printed.</summary>
    public static ProgramResult Run(string dll, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var program = Start(dll, arguments, environment);
        return program.WaitForExit(timeout);
    }

    private static string CreateRoot()
    {
        SweepStale();
        var root = Path.Combine(Path.GetTempPath(), DirectoryPrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var everyoneReads = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(root, everyoneReads);
        File.SetUnixFileMode(root, everyoneReads);
        Directory.CreateDirectory(Path.Combine(root, "shared"), everyoneReads);
        var home = Path.Combine(root, "home");
        Directory.CreateDirectory(home);
        File.SetUnixFileMode(home, everyoneReads | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);
        return root;
    }

    /// <summary>Builds a project (the configuration this test assembly was built with) into ROOT/NAME, readable by all.</summary>
    private static string Build(string project, string name, string dllName)
    {
        var output = Path.Combine(s_root.Value, name);
        var configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var result = CommandRunner.Run("dotnet", ["build", Path.Combine(RepositoryRoot.Path, project), "-c", configuration, "-o", output,
            "-nologo", "-v", "q"], TimeSpan.FromMinutes(5));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"building {project} failed:\n{result.StandardOutput}\n{result.StandardError}");
        CommandRunner.Run("chmod", "-R", "a+rX", output).EnsureSuccess();
        return Path.Combine(output, dllName);
    }

    /// <summary>Removes the directories of test processes that are gone.</summary>
    private static void SweepStale()
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(directory)[DirectoryPrefix.Length..], out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                using var process = Process.GetProcessById(pid);
                continue; // still running
            }
            catch (ArgumentException)
            {
            }
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

/// <summary>A program started by <see cref="UnprivilegedProgram"/>: its output lines as they come.</summary>
internal sealed class RunningProgram : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _stderr = new();
    private readonly Lock _lock = new();

    public RunningProgram(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data, toStandardError: false);
        process.ErrorDataReceived += (_, e) => Append(e.Data, toStandardError: true);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private void Append(string? line, bool toStandardError)
    {
        if (line is null)
            return;
        lock (_lock)
        {
            if (toStandardError)
                _stderr.AppendLine(line);
            else
                _lines.Add(line);
        }
    }

    /// <summary>The process id (setpriv execs the program: the program's own), for sending it signals.</summary>
    public int Id => _process.Id;

    /// <summary>Everything on stderr so far.</summary>
    public string StandardError
    {
        get { lock (_lock) return _stderr.ToString(); }
    }

    /// <summary>Waits until stderr has <paramref name="count"/> lines containing <paramref name="text"/>; false if the program exited or the time ran out.</summary>
    public bool WaitForErrorText(string text, TimeSpan timeout, int count = 1)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            bool exited = _process.HasExited;
            if (StandardError.Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal)) >= count)
                return true;
            if (exited || deadline.Elapsed > timeout)
                return false;
            Thread.Sleep(50);
        }
    }

    /// <summary>The first stdout line starting with <paramref name="prefix"/>, waiting up to <paramref name="timeout"/>; null if none came.</summary>
    public string? WaitForLine(string prefix, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            bool exited = _process.HasExited;
            lock (_lock)
            {
                foreach (var line in _lines)
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                        return line;
            }
            if (exited || deadline.Elapsed > timeout)
                return null;
            Thread.Sleep(50);
        }
    }

    /// <summary>Waits for the end (kills it after <paramref name="timeout"/>: ExitCode -1, TimedOut) and returns all it printed.</summary>
    public ProgramResult WaitForExit(TimeSpan timeout)
    {
        bool exited = _process.WaitForExit(timeout);
        if (!exited)
        {
            // SIGTERM first: the probe then prints what it has (its counters) before it goes.
            CommandRunner.Run("kill", "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture));
            _process.WaitForExit(TimeSpan.FromSeconds(5));
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _process.WaitForExit();
        }
        _process.WaitForExit(); // drains the redirected streams
        lock (_lock)
            return new ProgramResult(exited ? _process.ExitCode : -1, !exited, [.. _lines], _stderr.ToString());
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}

/// <summary>What a program printed: the probe's "word key=value ..." lines are read with <see cref="Line"/>.</summary>
internal sealed record ProgramResult(int ExitCode, bool TimedOut, IReadOnlyList<string> Lines, string StandardError)
{
    /// <summary>The fields of the first line starting with <paramref name="word"/> (and, if given, having command=COMMAND).</summary>
    public IReadOnlyDictionary<string, string>? Line(string word, string? command = null)
    {
        foreach (var line in Lines)
        {
            if (!line.StartsWith(word + " ", StringComparison.Ordinal))
                continue;
            var fields = ParseFields(line);
            if (command is null || (fields.TryGetValue("command", out var c) && c == command))
                return fields;
        }
        return null;
    }

    /// <summary>The fields of a result line that must be there (the assertion message is everything printed).</summary>
    public IReadOnlyDictionary<string, string> Result(string command) =>
        Line("result", command) ?? throw new Xunit.Sdk.XunitException($"no 'result command={command}' line:\n{this}");

    public override string ToString() =>
        $"exit {ExitCode}{(TimedOut ? " (killed: timed out)" : "")}\n{string.Join('\n', Lines)}\n--- stderr ---\n{StandardError}";

    private static Dictionary<string, string> ParseFields(string line)
    {
        var fields = new Dictionary<string, string>();
        int i = line.IndexOf(' ');
        while (i >= 0 && i < line.Length)
        {
            while (i < line.Length && line[i] == ' ')
                i++;
            int equals = line.IndexOf('=', i);
            if (equals < 0)
                break;
            var key = line[i..equals];
            int end;
            string value;
            if (equals + 1 < line.Length && line[equals + 1] == '"')
            {
                end = line.IndexOf('"', equals + 2);
                end = end < 0 ? line.Length : end + 1;
                value = line[(equals + 2)..Math.Max(equals + 2, end - 1)];
            }
            else
            {
                end = line.IndexOf(' ', equals);
                end = end < 0 ? line.Length : end;
                value = line[(equals + 1)..end];
            }
            fields[key] = value;
            i = end;
        }
        return fields;
    }
}
