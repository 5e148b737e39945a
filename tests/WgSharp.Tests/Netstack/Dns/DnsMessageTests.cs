using System.Net;
using WgSharp.Netstack.Dns;

namespace WgSharp.Tests.Netstack.Dns;

public class DnsMessageTests
{
    private const ushort Id = 0x1234;

    private static byte[] Query(string name, DnsRecordType type, ushort id = Id)
    {
        var buffer = new byte[DnsMessage.MaxQuerySize];
        int length = DnsMessage.WriteQuery(buffer, id, name, type);
        return buffer[..length];
    }

    [Fact]
    public void AQueryIsTheRfc1035WireFormatWithRecursionDesired()
    {
        byte[] expected =
        [
            0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
            7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 3, (byte)'c', (byte)'o', (byte)'m', 0,
            0, 1, 0, 1,
        ];
        Assert.Equal(expected, Query("example.com", DnsRecordType.A));
        Assert.Equal([0, 28, 0, 1], Query("example.com", DnsRecordType.Aaaa)[^4..]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("héllo.com")]
    public void InvalidNamesAreRefused(string name)
    {
        Assert.False(DnsMessage.IsValidName(name));
        Assert.Throws<ArgumentException>(() => Query(name, DnsRecordType.A));
    }

    [Fact]
    public void LabelAndNameLengthLimitsHold()
    {
        Assert.True(DnsMessage.IsValidName(new string('a', 63) + ".com"));
        Assert.False(DnsMessage.IsValidName(new string('a', 64) + ".com"));
        string longest = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 61); // 253 characters
        Assert.True(DnsMessage.IsValidName(longest));
        Assert.Equal(DnsMessage.HeaderSize + 255 + 4, Query(longest, DnsRecordType.A).Length);
        Assert.False(DnsMessage.IsValidName(longest + "b"));
    }

    [Fact]
    public void AnAnswerWithACompressedOwnerNameIsParsed()
    {
        var query = Query("example.com", DnsRecordType.A);
        var response = DnsTestMessages.AnswerTo(query, answers: 2)
            .Pointer(12).AddressRecord(IPAddress.Parse("93.184.216.34"), 300)
            .Pointer(12).AddressRecord(IPAddress.Parse("93.184.216.35"), 60)
            .ToArray();

        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParseResponse(response, Id, "example.com", DnsRecordType.A, out var answer));
        Assert.Equal(DnsAnswer.NoError, answer.ResponseCode);
        Assert.Equal([IPAddress.Parse("93.184.216.34"), IPAddress.Parse("93.184.216.35")], answer.Addresses);
        Assert.Equal(60u, answer.TtlSeconds);
    }

    [Fact]
    public void ACnameChainIsFollowedAndItsSmallestTtlKept()
    {
        var query = Query("www.example.com", DnsRecordType.Aaaa);
        var message = DnsTestMessages.AnswerTo(query, answers: 4);
        message.Pointer(12).CnameRecord("edge.example.net", 30);
        int edgeName = message.Length - "edge.example.net".Length - 2; // where the CNAME's target name starts
        message.Name("unrelated.example.org").AddressRecord(IPAddress.Parse("2001:db8::99"), 5);
        message.Pointer(edgeName).CnameRecord("origin.example.net", 600);
        message.Name("ORIGIN.example.net").AddressRecord(IPAddress.Parse("2001:db8::1"), 120); // names compare case-insensitively

        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParseResponse(message.ToArray(), Id, "www.example.com", DnsRecordType.Aaaa, out var answer));
        Assert.Equal([IPAddress.Parse("2001:db8::1")], answer.Addresses);
        Assert.Equal(30u, answer.TtlSeconds);
    }

    [Fact]
    public void ACnameLoopEndsWithNoAddresses()
    {
        var query = Query("a.example", DnsRecordType.A);
        var response = DnsTestMessages.AnswerTo(query, answers: 2)
            .Name("a.example").CnameRecord("b.example", 10)
            .Name("b.example").CnameRecord("a.example", 10)
            .ToArray();
        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParseResponse(response, Id, "a.example", DnsRecordType.A, out var answer));
        Assert.Empty(answer.Addresses);
    }

    [Fact]
    public void RecordsOfAnotherNameOrTypeAreNotAnswers()
    {
        var query = Query("example.com", DnsRecordType.A);
        var response = DnsTestMessages.AnswerTo(query, answers: 2)
            .Name("evil.example").AddressRecord(IPAddress.Parse("6.6.6.6"), 300)
            .Pointer(12).AddressRecord(IPAddress.Parse("2001:db8::6"), 300)
            .ToArray();
        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParseResponse(response, Id, "example.com", DnsRecordType.A, out var answer));
        Assert.Empty(answer.Addresses);
    }

    [Fact]
    public void NxdomainIsReportedAsTheResponseCode()
    {
        var query = Query("nope.example", DnsRecordType.A);
        var response = DnsTestMessages.AnswerTo(query, responseCode: DnsAnswer.NameError).ToArray();
        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParseResponse(response, Id, "nope.example", DnsRecordType.A, out var answer));
        Assert.Equal(DnsAnswer.NameError, answer.ResponseCode);
        Assert.Empty(answer.Addresses);
    }

    [Fact]
    public void AResponseToAnotherQueryIsAMismatch()
    {
        var query = Query("example.com", DnsRecordType.A);
        var good = DnsTestMessages.AnswerTo(query, answers: 1).Pointer(12).AddressRecord(IPAddress.Parse("1.2.3.4"), 300).ToArray();
        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParseResponse(good, Id, "example.com", DnsRecordType.A, out _));

        Assert.Equal(DnsParseStatus.Mismatch, DnsMessage.TryParseResponse(good, Id + 1, "example.com", DnsRecordType.A, out _)); // ID
        Assert.Equal(DnsParseStatus.Mismatch, DnsMessage.TryParseResponse(good, Id, "example.org", DnsRecordType.A, out _)); // name
        Assert.Equal(DnsParseStatus.Mismatch, DnsMessage.TryParseResponse(good, Id, "example.com", DnsRecordType.Aaaa, out _)); // type
        var notAResponse = (byte[])good.Clone();
        notAResponse[2] &= 0x7f;
        Assert.Equal(DnsParseStatus.Mismatch, DnsMessage.TryParseResponse(notAResponse, Id, "example.com", DnsRecordType.A, out _));
        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParseResponse(good, Id, "EXAMPLE.com", DnsRecordType.A, out _));
    }

    [Fact]
    public void PointersThatLoopOrPointForwardAreMalformed()
    {
        // The answer's owner name points at itself.
        var query = Query("example.com", DnsRecordType.A);
        var message = DnsTestMessages.AnswerTo(query, answers: 1);
        int self = message.Length;
        var looping = message.Pointer(self).AddressRecord(IPAddress.Parse("1.2.3.4"), 1).ToArray();
        Assert.Equal(DnsParseStatus.Malformed, DnsMessage.TryParseResponse(looping, Id, "example.com", DnsRecordType.A, out _));

        // The question's name points forward (into the answer) and the answer back: a two-pointer cycle.
        var cycle = DnsTestMessages.Response(Id, answers: 0).Pointer(18).U16(1).U16(1).Pointer(12).ToArray();
        Assert.Equal(DnsParseStatus.Malformed, DnsMessage.TryParseResponse(cycle, Id, "example.com", DnsRecordType.A, out _));
    }

    [Fact]
    public void AnAddressOfTheWrongLengthIsMalformed()
    {
        var query = Query("example.com", DnsRecordType.A);
        var response = DnsTestMessages.AnswerTo(query, answers: 1).Pointer(12).Record(1, 300, [1, 2, 3]).ToArray();
        Assert.Equal(DnsParseStatus.Malformed, DnsMessage.TryParseResponse(response, Id, "example.com", DnsRecordType.A, out _));
    }

    [Fact]
    public void EveryTruncationOfAValidResponseIsRefusedWithoutThrowing()
    {
        var query = Query("www.example.com", DnsRecordType.A);
        var response = DnsTestMessages.AnswerTo(query, answers: 2)
            .Pointer(12).CnameRecord("cdn.example.net", 30)
            .Name("cdn.example.net").AddressRecord(IPAddress.Parse("10.1.2.3"), 30)
            .ToArray();
        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParseResponse(response, Id, "www.example.com", DnsRecordType.A, out _));
        for (int length = 0; length < response.Length; length++)
            Assert.NotEqual(DnsParseStatus.Ok, DnsMessage.TryParseResponse(response.AsSpan(0, length), Id, "www.example.com", DnsRecordType.A, out _));
    }

    [Fact]
    public void RandomBytesAfterAValidHeaderNeverThrow()
    {
        var random = new Random(20261206);
        var query = Query("example.com", DnsRecordType.A);
        var prefix = DnsTestMessages.AnswerTo(query, answers: 3).ToArray();
        var buffer = new byte[600];
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            // Half of them keep a valid header and question, so the answer parser sees the garbage.
            if (i % 2 == 0 && length >= prefix.Length) prefix.CopyTo(buffer, 0);
            DnsMessage.TryParseResponse(buffer.AsSpan(0, length), Id, "example.com", DnsRecordType.A, out _);
        }
    }

    [Fact]
    public void ANameLongerThan255BytesThroughPointersIsMalformed()
    {
        // Each label of 60 'a's ends in a pointer to the previous one: five of them make a 305-byte name.
        var message = DnsTestMessages.Response(Id, answers: 0);
        int previous = -1;
        for (int i = 0; i < 5; i++)
        {
            int here = message.Length;
            message.Raw(60).Raw(Enumerable.Repeat((byte)'a', 60).ToArray());
            if (previous < 0) message.Raw(0); else message.Pointer(previous);
            previous = here;
        }
        byte[] bytes = message.ToArray();
        int position = previous;
        Assert.False(DnsMessage.TryReadName(bytes, ref position, out _));
    }
}
