namespace WgSharp.Tests.Robustness;

/// <summary>A process's resident memory, open file descriptors and thread count at one moment (from /proc).</summary>
public sealed record ProcessSample(long RssKilobytes, int FileDescriptors, int Threads)
{
    public static ProcessSample Of(int processId)
    {
        var status = File.ReadAllLines($"/proc/{processId}/status");
        long Field(string name) =>
            long.Parse(status.First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..]
                .Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return new ProcessSample(Field("VmRSS"), Directory.GetFileSystemEntries($"/proc/{processId}/fd").Length, (int)Field("Threads"));
    }

    public override string ToString() => $"rss={RssKilobytes / 1024.0:F1}MiB fds={FileDescriptors} threads={Threads}";
}
