using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net.Sockets;
using System.Net;
using System.Text;
using WgSharp.Configuration;
using WgSharp.Keys;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// Parses the OpenBSD ifconfig(8) dialect for wg interfaces: the arguments after the interface
/// name of `wgsharp IFNAME ...`. Words are processed left to right like ifconfig does; peer
/// options (wgpsk, wgaip, ...) apply to the wgpeer immediately preceding them. The first bad
/// word stops parsing and yields an error and no command, so nothing is changed.
/// </summary>
internal static class IfconfigParser
{
    /// <summary>RT_TABLEID_MAX on OpenBSD: limit for rdomain and wgrtable.</summary>
    public const int MaxRoutingTable = 255;
    /// <summary>OpenBSD caps wgpka at 12 hours.</summary>
    public const int MaxPersistentKeepalive = 43200;
    /// <summary>IFDESCRSIZE (64) minus the NUL: OpenBSD truncates longer peer descriptions.</summary>
    public const int MaxDescriptionBytes = 63;
    public const int MinMtu = 68;
    public const int MaxMtu = 65535;
    /// <summary>`wgsharp IF verbose`: the status with counters (a wgsharp word; OpenBSD has no per-interface counters).</summary>
    public const string VerboseWord = "verbose";

    /// <summary>
    /// Parses <paramref name="args"/> for interface <paramref name="interfaceName"/>.
    /// <paramref name="resolveHost"/> (optional) turns a wgendpoint host name into an address;
    /// without it only numeric IPv4/IPv6 endpoints are accepted, keeping parsing pure.
    /// Never throws on bad input.
    /// </summary>
    public static bool TryParse(string interfaceName, IReadOnlyList<string> args,
        [NotNullWhen(true)] out IfconfigCommand? command, [NotNullWhen(false)] out IfconfigError? error,
        Func<string, IPAddress?>? resolveHost = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        command = null;
        try
        {
            var parser = new Parser(interfaceName ?? "", args, resolveHost);
            command = parser.Run();
            error = null;
            return true;
        }
        catch (BadWord bad)
        {
            error = WithoutKeyLikeWords(bad.Error, args, interfaceName ?? "");
            return false;
        }
    }

    /// <summary>Shortest word that could be (a fragment of) a key worth hiding: 12 base64 characters are 72 bits.</summary>
    private const int KeyLikeMinimumLength = 12;

    /// <summary>
    /// The error with every word that could be key text (a key pasted in the wrong place, a wrapped `wgkey` line in a
    /// hostname.if) named by its position instead, as the UAPI names a line's key and never its value:
    /// "word 3: bad address". Such errors reach terminals and the boot journal.
    /// </summary>
    private static IfconfigError WithoutKeyLikeWords(IfconfigError error, IReadOnlyList<string> args, string interfaceName)
    {
        string message = error.Message, word = error.Word;
        for (int i = 0; i < args.Count; i++)
        {
            if (!CouldBeKeyText(args[i])) continue; // also skips null words (refused earlier as empty)
            string position = $"word {i + 1}";
            message = message.Replace(args[i], position, StringComparison.Ordinal);
            if (word.Length > 0 && args[i].Contains(word, StringComparison.Ordinal)) word = position;
        }
        // The bad word may be a piece of an argument (the host of HOST:PORT): hide it too when it could be key text.
        if (CouldBeKeyText(word))
        {
            int index = Enumerable.Range(0, args.Count).FirstOrDefault(i => args[i]?.Contains(word, StringComparison.Ordinal) == true, -1);
            string position = index >= 0 ? $"word {index + 1}" : word == interfaceName ? "the interface name" : "a word";
            message = message.Replace(word, position, StringComparison.Ordinal);
            word = position;
        }
        return word == error.Word && message == error.Message ? error : new IfconfigError(word, message);
    }

    /// <summary>
    /// Long enough, made only of base64 characters (which include the hex digits) with at least one letter: not an
    /// option, not an address, not a plain number (a key's text without a letter is vanishingly unlikely).
    /// </summary>
    private static bool CouldBeKeyText(string? word) =>
        word is { Length: >= KeyLikeMinimumLength } && !IfconfigOptions.IsOption(word) &&
        word.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=') && word.Any(char.IsAsciiLetter);

    /// <summary>Like <see cref="TryParse"/> but throws <see cref="FormatException"/> with the one-line message.</summary>
    public static IfconfigCommand Parse(string interfaceName, IReadOnlyList<string> args,
        Func<string, IPAddress?>? resolveHost = null) =>
        TryParse(interfaceName, args, out var command, out var error, resolveHost)
            ? command
            : throw new FormatException(error.FullMessage);

    /// <summary>Private control flow for the first bad word; never escapes <see cref="TryParse"/>.</summary>
    private sealed class BadWord(IfconfigError error) : Exception(error.Message)
    {
        public IfconfigError Error { get; } = error;
    }

    /// <summary>An interface address being collected; netmask/prefixlen may still change its length.</summary>
    private sealed class PendingAddress(IPAddress address, int? bits)
    {
        public IPAddress Address { get; } = address;
        public int? Bits { get; set; } = bits;
        public bool IsIPv4 => Address.AddressFamily == AddressFamily.InterNetwork;
    }

    private sealed class Parser(string interfaceName, IReadOnlyList<string> args, Func<string, IPAddress?>? resolveHost)
    {
        private readonly IfconfigCommand _command = new(interfaceName);
        private readonly List<PendingAddress> _addresses = [];
        private int _position;
        private PeerUpdate? _peer;
        private AddressFamily? _family;
        private (int Bits, string Option, string Word)? _maskBeforeAddress;
        private bool _alias;
        private bool _delete;

        private DeviceUpdate Update => _command.Update;

        public IfconfigCommand Run()
        {
            CheckInterfaceName();
            // Status: no words, or "inet"/"inet6" and/or "verbose" (wgsharp's: adds the counters).
            var statusWords = args.Where(a => a != VerboseWord).ToList();
            if (statusWords.Count == 0 || (statusWords.Count == 1 && statusWords[0] is "inet" or "inet6"))
            {
                _command.ShowStatus = true;
                _command.StatusVerbose = statusWords.Count < args.Count;
                if (statusWords.Count == 1) _command.StatusFamily = FamilyOf(statusWords[0]);
                return _command;
            }
            while (_position < args.Count)
            {
                string word = args[_position++] ?? "";
                Handle(word);
            }
            FinishAddresses();
            return _command;
        }

        private void CheckInterfaceName()
        {
            string name = interfaceName;
            if (!InterfaceName.IsValid(name))
                throw Fail(name, $"{name}: bad interface name");
        }

        private void Handle(string word)
        {
            // The option table is the one list of option words (the help text is made from it);
            // any other word is an address.
            if (!IfconfigOptions.IsOption(word))
            {
                AddAddress(word);
                return;
            }
            switch (word)
            {
                case "create": _command.Create = true; break;
                case "destroy": _command.Destroy = true; break;
                case "up": _command.Up = true; break;
                case "down": _command.Up = false; break;
                case "debug": _command.Debug = Update.Debug = true; break;
                case "-debug": _command.Debug = Update.Debug = false; break;
                case "rdomain": _command.RDomain = Number(word, Next(word), 0, MaxRoutingTable); break;
                case "-rdomain": _command.RDomain = 0; break;
                case "mtu": _command.Mtu = Number(word, Next(word), MinMtu, MaxMtu); break;

                case "inet": _family = AddressFamily.InterNetwork; break;
                case "inet6": _family = AddressFamily.InterNetworkV6; break;
                case "-inet": AddFamilyRemoval(AddressFamily.InterNetwork); break;
                case "-inet6": AddFamilyRemoval(AddressFamily.InterNetworkV6); break;
                case "alias": _alias = true; _delete = false; break;
                case "-alias" or "delete": _delete = true; break;
                case "netmask": SetNetmask(word, Next(word)); break;
                case "prefixlen": SetPrefixLength(word, Next(word)); break;
                case "broadcast": CheckBroadcast(word, Next(word)); break;

                case "wgkey": Update.PrivateKey = SecretKey(word, Next(word)); break;
                case "wgport": Update.ListenPort = (ushort)Number(word, Next(word), 0, ushort.MaxValue); break;
                case "wgrtable": Update.RTable = Number(word, Next(word), 0, MaxRoutingTable); break;
                case "-wgpeerall": Update.RemoveAllPeers = true; Update.ReplacePeers = true; break;
                case "wgpeer": SelectPeer(word, Next(word), remove: false); break;
                case "-wgpeer": SelectPeer(word, Next(word), remove: true); break;

                case "wgpsk": { string value = Next(word); Peer(word).PresharedKey = SecretKey(word, value); break; }
                case "-wgpsk": Peer(word).PresharedKey = Key.Zero; break;
                case "wgpka":
                {
                    string value = Next(word);
                    Peer(word).PersistentKeepalive = (ushort)Number(word, value, 0, MaxPersistentKeepalive);
                    break;
                }
                case "-wgpka": Peer(word).PersistentKeepalive = 0; break;
                case "wgendpoint": SetEndpoint(word); break;
                case "wgaip": { string value = Next(word); AddAllowedIp(Peer(word), AllowedIp(word, value)); break; }
                case "-wgaip": { string value = Next(word); RemoveAllowedIp(Peer(word), AllowedIp(word, value)); break; }
                case "wgdescr" or "wgdescription":
                {
                    string value = Next(word);
                    if (value.Any(char.IsControl)) throw Fail(word, $"{word}: control characters are not allowed");
                    Peer(word).Description = TruncateDescription(value);
                    if (Peer(word).Description!.Length != value.Length) _command.Notices.Add($"{word}: cut to {MaxDescriptionBytes} bytes, the limit");
                    break;
                }
                case "-wgdescr" or "-wgdescription": Peer(word).Description = ""; break;

                default: throw new InvalidOperationException($"ifconfig option '{word}' is listed in IfconfigOptions but not handled");
            }
        }

        // ---- argument access and value parsing ----

        private string Next(string option)
        {
            if (_position >= args.Count) throw Fail(option, $"{option}: missing argument");
            return args[_position++] ?? "";
        }

        private static BadWord Fail(string word, string message) => new(new IfconfigError(word, message));

        /// <summary>A decimal number in [min, max]; digits only, so "+5", " 5" and "0x5" are refused.</summary>
        private static int Number(string option, string text, int min, int max)
        {
            bool negative = text.StartsWith('-');
            string digits = negative ? text[1..] : text;
            if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
                throw Fail(text, $"{option}: {text}: not a number");
            if (negative ||
                !long.TryParse(digits.Length > 12 ? "999999999999" : digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ||
                value < min || value > max)
                throw Fail(text, $"{option}: {text}: out of range");
            return (int)value;
        }

        /// <summary>A private or preshared key: the value is never repeated in the error.</summary>
        private static Key SecretKey(string option, string text)
        {
            if (!Key.TryParseBase64(text, out var key, out _))
                throw Fail(option, $"{option}: invalid key: must be 32 bytes, base64-encoded");
            return key;
        }

        private static Key PublicKey(string option, string text)
        {
            if (!Key.TryParseBase64(text, out var key, out _))
                throw Fail(text, $"{option}: {text}: invalid key: must be 32 bytes, base64-encoded");
            return key;
        }

        private static AddressFamily FamilyOf(string word) =>
            word == "inet6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

        private static string FamilyName(AddressFamily family) =>
            family == AddressFamily.InterNetworkV6 ? "inet6" : "inet";

        /// <summary>A numeric IPv4 (dotted quad) or IPv6 address without scope.</summary>
        private static bool TryLiteral(string text, [NotNullWhen(true)] out IPAddress? address)
        {
            address = null;
            if (text.Length == 0 || text.Contains('%') || !IPAddress.TryParse(text, out var parsed)) return false;
            if (parsed.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') != 3) return false;
            if (parsed.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) return false;
            address = parsed;
            return true;
        }

        // ---- peers ----

        private void SelectPeer(string option, string text, bool remove)
        {
            var key = PublicKey(option, text);
            // Repeating a peer in one command continues its entry (OpenBSD sends both; the
            // kernel applies them in order, which comes to the same thing) unless the removal
            // state differs, in which case order matters and a new entry is appended.
            var existing = Update.Peers.LastOrDefault(p => p.PublicKey == key);
            if (existing is null || existing.Remove != remove)
            {
                existing = new PeerUpdate(key) { Remove = remove };
                Update.Peers.Add(existing);
            }
            _peer = existing;
        }

        private PeerUpdate Peer(string option) =>
            _peer ?? throw Fail(option, $"{option}: wgpeer not set");

        private void SetEndpoint(string option)
        {
            string host = Next(option);
            string port = Next(option);
            var peer = Peer(option);
            string bare = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
            bool named = !TryLiteral(bare, out var address);
            if (named)
            {
                if (resolveHost is null || bare.Length == 0 || bare.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                    throw Fail(host, $"{option}: {host}: not a numeric IPv4 or IPv6 address");
                IPAddress? resolved;
                try { resolved = resolveHost(bare); }
                catch (Exception e) when (e is SocketException or ArgumentException or IOException) { resolved = null; }
                if (resolved is null || resolved.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
                    throw Fail(host, $"{option}: {host}: no address associated with name");
                address = resolved;
            }
            int portNumber = Number(option, port, 1, ushort.MaxValue);
            peer.Endpoint = new IPEndPoint(address!, portNumber);
            // A name is kept, so the daemon can follow it when the peer's address changes.
            peer.EndpointName = named ? new EndpointName(bare, (ushort)portNumber) : null;
        }

        /// <summary>An allowed-IP range: a network prefix without host bits; no length means a host route.</summary>
        private static IpPrefix AllowedIp(string option, string text)
        {
            int slash = text.IndexOf('/');
            string addressPart = slash >= 0 ? text[..slash] : text;
            if (!TryLiteral(addressPart, out _))
                throw Fail(text, $"{option}: {text}: bad address");
            if (!IpPrefix.TryParse(text, out var prefix, out _))
                throw Fail(text, $"{option}: {text}: bad prefix length");
            if (prefix.Value.HasHostBits)
                throw Fail(text, $"{option}: {text}: host bits set (network is {prefix.Value.Masked()})");
            return prefix.Value;
        }

        // OpenBSD's wgaip replaces the peer's allowed IPs with those named in the command;
        // a later -wgaip of the same range in the same command wins, and vice versa.
        private static void AddAllowedIp(PeerUpdate peer, IpPrefix prefix)
        {
            peer.ReplaceAllowedIps = true;
            peer.AllowIp(prefix);
        }

        private static void RemoveAllowedIp(PeerUpdate peer, IpPrefix prefix) => peer.DisallowIp(prefix);

        /// <summary>Like OpenBSD's strlcpy into IFDESCRSIZE: keep at most 63 bytes, never split a character.</summary>
        private static string TruncateDescription(string text)
        {
            if (Encoding.UTF8.GetByteCount(text) <= MaxDescriptionBytes) return text;
            var kept = new StringBuilder();
            int bytes = 0;
            foreach (var rune in text.EnumerateRunes())
            {
                if (bytes + rune.Utf8SequenceLength > MaxDescriptionBytes) break;
                bytes += rune.Utf8SequenceLength;
                kept.Append(rune.ToString());
            }
            return kept.ToString();
        }

        // ---- interface addresses ----

        private void AddFamilyRemoval(AddressFamily family)
        {
            if (!_command.RemoveAllAddressesOf.Contains(family)) _command.RemoveAllAddressesOf.Add(family);
        }

        private void AddAddress(string word)
        {
            if (word.Length == 0) throw Fail(word, "empty argument");
            int slash = word.IndexOf('/');
            string addressPart = slash >= 0 ? word[..slash] : word;
            if (!TryLiteral(addressPart, out var address))
            {
                bool looksLikeAddress = word.Length > 0 && (char.IsAsciiDigit(word[0]) || word.Contains(':') || word.Contains('/'));
                throw Fail(word, looksLikeAddress ? $"{word}: bad address" : $"{word}: unknown option");
            }
            if (_family is { } family && address.AddressFamily != family)
                throw Fail(word, $"{word}: not an {FamilyName(family)} address");
            int? bits = null;
            if (slash >= 0)
            {
                if (!IpPrefix.TryParse(word, out var prefix, out _))
                    throw Fail(word, $"{word}: bad prefix length");
                bits = prefix.Value.Bits;
            }
            var pending = new PendingAddress(address, bits);
            if (bits is null && _maskBeforeAddress is { } mask)
            {
                CheckMaskFits(pending, mask.Bits, mask.Option, mask.Word);
                pending.Bits = mask.Bits;
                _maskBeforeAddress = null;
            }
            _addresses.Add(pending);
        }

        private void SetNetmask(string option, string text)
        {
            int bits = ParseNetmask(option, text);
            ApplyLength(bits, option, text, ipv4Only: true);
        }

        private void SetPrefixLength(string option, string text)
        {
            int bits = Number(option, text, 0, 128);
            ApplyLength(bits, option, text, ipv4Only: false);
        }

        private void ApplyLength(int bits, string option, string text, bool ipv4Only)
        {
            if (_addresses.Count == 0)
            {
                _maskBeforeAddress = (bits, option, text);
                if (ipv4Only && _family == AddressFamily.InterNetworkV6)
                    throw Fail(text, $"{option}: {text}: not valid for inet6 addresses");
                return;
            }
            var last = _addresses[^1];
            if (ipv4Only && !last.IsIPv4)
                throw Fail(text, $"{option}: {text}: not valid for inet6 addresses");
            CheckMaskFits(last, bits, option, text);
            last.Bits = bits;
        }

        private static void CheckMaskFits(PendingAddress address, int bits, string option, string text)
        {
            if (bits > (address.IsIPv4 ? 32 : 128))
                throw Fail(text, $"{option}: {text}: out of range");
        }

        /// <summary>A contiguous IPv4 netmask, dotted (255.255.255.0) or hex (0xffffff00).</summary>
        private static int ParseNetmask(string option, string text)
        {
            uint mask;
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && text.Length is > 2 and <= 10)
            {
                if (!uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mask))
                    throw Fail(text, $"{option}: {text}: bad netmask");
            }
            else if (TryLiteral(text, out var address) && address.AddressFamily == AddressFamily.InterNetwork)
            {
                Span<byte> b = stackalloc byte[4];
                address.TryWriteBytes(b, out _);
                mask = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
            }
            else
                throw Fail(text, $"{option}: {text}: bad netmask");
            int bits = System.Numerics.BitOperations.PopCount(mask);
            uint contiguous = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
            if (mask != contiguous) throw Fail(text, $"{option}: {text}: netmask is not contiguous");
            return bits;
        }

        private static void CheckBroadcast(string option, string text)
        {
            // Linux derives the broadcast address from the prefix; accept a valid one for
            // hostname.if compatibility and otherwise ignore it.
            if (!TryLiteral(text, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
                throw Fail(text, $"{option}: {text}: bad address");
        }

        private void FinishAddresses()
        {
            if (_maskBeforeAddress is { } orphan)
                throw Fail(orphan.Option, $"{orphan.Option}: no address to apply it to");
            if (_addresses.Count == 0)
            {
                if (_delete) throw Fail("delete", "delete: no address given");
                return;
            }
            foreach (var pending in _addresses)
            {
                var prefix = new IpPrefix(pending.Address, pending.Bits ?? DefaultLength(pending.Address));
                if (_delete)
                    _command.DeleteAddresses.Add(prefix);
                else
                {
                    _command.AddAddresses.Add(prefix);
                    if (pending.IsIPv4 && !_alias) _command.ReplacePrimaryInetAddress = true;
                }
            }
            // wg(4) marks the interface up when an address is assigned (SIOCSIFADDR), which is
            // why the wg(4) example can ping right after "ifconfig wg1 192.168.5.1/24".
            if (!_delete) _command.Up = true;
        }

        /// <summary>
        /// OpenBSD's defaults when no length is given: classful for inet (in_ifinit: A /8, B /16,
        /// anything else /24), 64 for inet6.
        /// </summary>
        private static int DefaultLength(IPAddress address)
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6) return 64;
            byte first = address.GetAddressBytes()[0];
            return first switch
            {
                < 128 => 8,
                < 192 => 16,
                _ => 24,
            };
        }
    }
}
