using System.Reflection;
using System.Runtime.InteropServices;

namespace WgSharp.Tests.Device.InMemory;

/// <summary>
/// Counts the objects reachable from a root by walking instance fields with reflection, and their sizes as the
/// runtime lays them out (the base size in the type's MethodTable, plus the elements of an array or string).
/// Deterministic, unlike a heap delta: the difference of two censuses names the types a change added, so the
/// bytes per peer can be attributed object by object.
/// </summary>
internal static class HeapCensus
{
    /// <summary>Bytes and object count by type name of everything reachable from <paramref name="root"/>.</summary>
    public static Dictionary<string, (long Bytes, long Objects)> Take(object root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object>();
        var byType = new Dictionary<string, (long Bytes, long Objects)>();
        pending.Push(root);
        seen.Add(root);
        while (pending.Count > 0)
        {
            var o = pending.Pop();
            var type = o.GetType();
            string name = TypeName(type);
            var (bytes, objects) = byType.GetValueOrDefault(name);
            byType[name] = (bytes + SizeOf(o), objects + 1);
            if (o is Array array)
            {
                var element = type.GetElementType()!;
                if (element.IsPointer || element.IsPrimitive || element.IsEnum) continue;
                foreach (var item in array) Visit(item, element.IsValueType, seen, pending);
                continue;
            }
            VisitFields(o, type, seen, pending);
        }
        return byType;
    }

    /// <summary>Bytes per unit of (<paramref name="after"/> - <paramref name="before"/>), largest first, as text.</summary>
    public static string Difference(Dictionary<string, (long Bytes, long Objects)> before,
        Dictionary<string, (long Bytes, long Objects)> after, int units, out double bytesPerUnit)
    {
        var rows = after.Select(kv =>
        {
            var (bytes, objects) = before.GetValueOrDefault(kv.Key);
            return (Type: kv.Key, Bytes: (kv.Value.Bytes - bytes) / (double)units, Objects: (kv.Value.Objects - objects) / (double)units);
        }).Where(r => Math.Abs(r.Bytes) >= 0.5).OrderByDescending(r => r.Bytes).ToList();
        bytesPerUnit = rows.Sum(r => r.Bytes);
        return string.Join("\n", rows.Select(r => $"{r.Bytes,8:F1} B {r.Objects,6:F2} obj  {r.Type}")) + $"\n{bytesPerUnit,8:F1} B total";
    }

    private static void VisitFields(object o, Type type, HashSet<object> seen, Stack<object> pending)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                var ft = field.FieldType;
                if (ft.IsPointer || ft.IsPrimitive || ft.IsEnum || ft == typeof(IntPtr) || ft == typeof(UIntPtr) || ft.IsByRefLike) continue;
                Visit(field.GetValue(o), ft.IsValueType, seen, pending);
            }
        }
    }

    private static void Visit(object? value, bool inline, HashSet<object> seen, Stack<object> pending)
    {
        if (value is null || value is Type || value is Assembly || value is Module || value is MemberInfo) return;
        if (inline)
        {
            // A struct stored in place: its size is its holder's; only what it refers to is new.
            VisitFields(value, value.GetType(), seen, pending);
            return;
        }
        if (seen.Add(value)) pending.Push(value);
    }

    private static string TypeName(Type type)
    {
        if (type.IsArray) return TypeName(type.GetElementType()!) + "[]";
        if (!type.IsGenericType) return type.Name;
        int tick = type.Name.IndexOf('`');
        string name = tick < 0 ? type.Name : type.Name[..tick]; // a nested type of a generic one has no arity of its own
        return $"{name}<{string.Join(",", type.GetGenericArguments().Select(TypeName))}>";
    }

    // CoreCLR's MethodTable starts with the flags (the low 16 bits are the element size of an array or string)
    // and the base size: the object's size without elements, header and type pointer included.
    private static long SizeOf(object o)
    {
        IntPtr methodTable = o.GetType().TypeHandle.Value;
        uint flags = (uint)Marshal.ReadInt32(methodTable);
        long size = (uint)Marshal.ReadInt32(methodTable, 4);
        if ((flags & 0x8000_0000) != 0)
            size += (flags & 0xFFFF) * (o is string s ? s.Length : ((Array)o).LongLength);
        return (size + 7) & ~7L;
    }
}
