namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>The checkout the tests were built from: the directory above the test assembly that holds wgsharp.sln.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "wgsharp.sln"))) return dir.FullName;
        throw new InvalidOperationException("wgsharp.sln not found above " + AppContext.BaseDirectory);
    }
}
