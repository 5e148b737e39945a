using WgSharp.Keys;

namespace WgSharp.Tests.Embedding;

/// <summary>Key as ISpanParsable: base64 (wg's form) and hex (the UAPI's), and errors that never repeat the text.</summary>
public class KeyParsingTests
{
    private static readonly Key Sample = KeyGenerator.GeneratePrivateKey();

    [Fact]
    public void ParseReadsBase64AndHex()
    {
        Assert.Equal(Sample, Key.Parse(Sample.ToBase64()));
        Assert.Equal(Sample, Key.Parse(Sample.ToHex()));
        Assert.Equal(Sample, Key.Parse(Sample.ToHex().ToUpperInvariant().AsSpan()));
        Assert.True(Key.TryParse(Sample.ToBase64(), out var parsed));
        Assert.Equal(Sample, parsed);
    }

    [Fact]
    public void KeyIsSpanParsableSoGenericCodeCanParseIt()
    {
        Assert.Equal(Sample, ParseAny<Key>(Sample.ToBase64()));
        Assert.True(TryParseAny<Key>(Sample.ToHex(), out var parsed));
        Assert.Equal(Sample, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a key")]
    [InlineData("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk")]       // no pad
    [InlineData("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBml=")]      // the unused low bits set: wg refuses it
    [InlineData(" yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=")]     // whitespace is not trimmed
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")] // 64 characters, not hex
    public void BadTextIsAFormatExceptionThatDoesNotRepeatTheText(string text)
    {
        var e = Assert.Throws<FormatException>(() => Key.Parse(text));
        Assert.False(Key.TryParse(text, out var key));
        Assert.Equal(Key.Zero, key);
        if (text.Trim().Length > 0) Assert.DoesNotContain(text.Trim(), e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("yAnz5TF", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NullIsArgumentNullForParseAndFalseForTryParse()
    {
        Assert.Throws<ArgumentNullException>(() => Key.Parse((string)null!));
        Assert.False(Key.TryParse((string?)null, out _));
    }

    [Fact]
    public void ToStringNeverShowsTheKey()
    {
        Assert.DoesNotContain(Sample.ToBase64(), Sample.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Sample.ToHex(), Sample.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void KeyGeneratorDerivesThePublicKeyWgPubkeyWould()
    {
        // The wg(8) man page's example pair.
        var privateKey = Key.Parse("yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=");
        Assert.Equal("HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=", KeyGenerator.DerivePublicKey(privateKey).ToBase64());
    }

    private static T ParseAny<T>(string text) where T : ISpanParsable<T> => T.Parse(text.AsSpan(), null);

    private static bool TryParseAny<T>(string text, out T? value) where T : ISpanParsable<T> => T.TryParse(text.AsSpan(), null, out value);
}
