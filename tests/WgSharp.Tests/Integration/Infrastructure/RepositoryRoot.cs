namespace WgSharp.Tests.Integration.Infrastructure;

/// <summary>The checkout the tests run from: the first directory above the test binaries holding wgsharp.sln.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "wgsharp.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("wgsharp.sln not found above " + AppContext.BaseDirectory);
    }
}
