using System.Text;
using WgSharp.Keys;

namespace WgSharp;

/// <summary>
/// The pieces of the public records' ToString(): lists as their items (not the compiler's collection type name) and
/// keys only where they are public. One place, so no record can print a private or preshared key by accident.
/// </summary>
internal static class RecordText
{
    public static StringBuilder List<T>(StringBuilder builder, IReadOnlyList<T>? items)
    {
        if (items is null) return builder.Append("null");
        builder.Append('[');
        for (int i = 0; i < items.Count; i++) builder.Append(i == 0 ? "" : ", ").Append(items[i]);
        return builder.Append(']');
    }

    public static string PublicKey(Key? publicKey) => publicKey is { } key ? key.ToBase64() : "none";

    public static string Secret(Key? secret) => secret is { IsZero: false } ? "(set)" : "none";
}
