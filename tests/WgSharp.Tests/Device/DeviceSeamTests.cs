using System.Text.RegularExpressions;
using WgSharp.Tests.Integration.Infrastructure;

namespace WgSharp.Tests.Device;

/// <summary>The device core sees its I/O only through the seams: no file under src/WgSharp/Device names a Linux type.</summary>
public class DeviceSeamTests
{
    [Fact]
    public void TheDeviceCoreReferencesNoLinuxType()
    {
        var root = RepositoryRoot.Path;
        var linuxTypes = Directory.EnumerateFiles(Path.Combine(root, "src", "WgSharp", "Linux"), "*.cs")
            .Select(Path.GetFileNameWithoutExtension).OfType<string>().ToList();
        Assert.Contains("TunDevice", linuxTypes);
        var pattern = new Regex(@"\b(WgSharp\.Linux|" + string.Join("|", linuxTypes) + @")\b");

        var offenders = Directory.EnumerateFiles(Path.Combine(root, "src", "WgSharp", "Device"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line, i)))
            .Where(x => !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && pattern.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(root, x.file)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }

    [Fact]
    public void NoTypeInTheDeviceNamespacesHasALinuxTypeInItsSignatures()
    {
        var deviceTypes = typeof(WgSharp.Device.WireGuardDevice).Assembly.GetTypes()
            .Where(t => t.Namespace is { } ns && (ns == "WgSharp.Device" || ns.StartsWith("WgSharp.Device.", StringComparison.Ordinal)));
        const System.Reflection.BindingFlags all = System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic |
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly;
        var offenders = new List<string>();
        foreach (var type in deviceTypes)
        {
            var used = type.GetFields(all).Select(f => f.FieldType)
                .Concat(type.GetProperties(all).Select(p => p.PropertyType))
                .Concat(type.GetMethods(all).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)))
                .Concat(type.GetConstructors(all).SelectMany(c => c.GetParameters().Select(p => p.ParameterType)));
            offenders.AddRange(used.Select(t => t.IsByRef || t.IsArray ? t.GetElementType()! : t)
                .Where(t => t.Namespace == "WgSharp.Linux").Select(t => $"{type.Name} uses {t.Name}"));
        }
        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }
}
