using System.Globalization;
using System.Runtime.InteropServices;
using WgSharp.Linux;
using WgSharp.Keys;

namespace WgSharp.Cli.Ifconfig;

/// <summary>
/// `wgsharp demo`: runs the wg(4) manual's example as written — two interfaces in rdomains 1 and
/// 2 talking through a UDP tunnel in the default namespace (sockets on every address, endpoints at 127.0.0.1) — pings through it, shows
/// the sockets and both statuses, and tears everything down again, also on failure or Ctrl-C.
/// Exit status 0 means the ping got through. --interfaces/--rdomains/--ports choose other names
/// (the tests use them so as not to disturb a real wg1).
/// </summary>
internal static class DemoCommand
{
    private const string Usage = "usage: wgsharp demo [--interfaces IF1,IF2] [--rdomains N1,N2] [--ports P1,P2]";
    private const string Address1 = "192.168.5.1", Address2 = "192.168.5.2";

    private static volatile bool s_interrupted;

    public static int Run(string[] args)
    {
        string[] names = ["wg1", "wg2"];
        int[] rdomains = [1, 2];
        int[] ports = [7111, 7222];
        for (int i = 0; i < args.Length; i += 2)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            string[] pair = value?.Split(',') ?? [];
            bool ok = pair.Length == 2 && args[i] switch
            {
                "--interfaces" => pair.All(CommandLine.IsInterfaceName) && pair[0] != pair[1] && Assign(pair, names),
                "--rdomains" => pair.All(p => RDomains.TryParse(p, out int n) && n > 0) && pair[0] != pair[1] &&
                                Assign(pair.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray(), rdomains),
                "--ports" => pair.All(p => ushort.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out ushort n) && n > 0) &&
                             pair[0] != pair[1] && Assign(pair.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray(), ports),
                _ => false,
            };
            if (!ok)
            {
                Console.Error.WriteLine($"wgsharp: demo: {args[i]}{(value is null ? "" : " " + value)}: bad option\n{Usage}");
                return 1;
            }
        }
        return new Demo(names, rdomains, ports).Run();
    }

    private static bool Assign<T>(T[] values, T[] into)
    {
        values.CopyTo(into, 0);
        return true;
    }

    private sealed class Demo(string[] names, int[] rdomains, int[] ports)
    {
        /// <summary>Set once the names were found unused: from then on whatever exists under them is ours to remove.</summary>
        private bool _namesAreOurs;
        private readonly List<string> _createdNamespaces = [];

        public int Run()
        {
            s_interrupted = false;
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
            bool pinged = false;
            try
            {
                if (!CheckNamesAreFree()) return 1;
                _namesAreOurs = true;
                pinged = Example();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"wgsharp: demo: {e.Message}");
            }
            finally
            {
                if (!TearDown()) pinged = false;
            }
            if (s_interrupted) Console.Out.WriteLine("\ndemo interrupted.");
            else Console.Out.WriteLine(pinged
                ? $"\ndemo succeeded: {names[0]} (rdomain {rdomains[0]}) reached {names[1]} (rdomain {rdomains[1]}) through the tunnel."
                : "\ndemo FAILED.");
            return pinged && !s_interrupted ? 0 : 1;
        }

        private static void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true; // finish the current step, then tear down
            s_interrupted = true;
        }

        private bool CheckNamesAreFree()
        {
            foreach (var name in names)
            {
                if (InterfaceLifecycle.IsServing(name) || InterfaceLocator.TryFind(name, out _) || Directory.Exists("/sys/class/net/" + name))
                {
                    Console.Error.WriteLine($"wgsharp: demo: interface {name} already exists; destroy it (wgsharp {name} destroy) " +
                                            "or pick other names with --interfaces IF1,IF2");
                    return false;
                }
            }
            foreach (int rdomain in rdomains)
                if (!NetNs.Exists(RDomains.NamespaceOf(rdomain))) _createdNamespaces.Add(RDomains.NamespaceOf(rdomain));
            return true;
        }

        /// <summary>The manual's script, step by step; true if the ping got through.</summary>
        private bool Example()
        {
            string if1 = names[0], if2 = names[1];
            string p1 = Num(ports[0]), p2 = Num(ports[1]), r1 = Num(rdomains[0]), r2 = Num(rdomains[1]);
            Console.Out.WriteLine($"The wg(4) manual's example: {if1} in rdomain {r1} and {if2} in rdomain {r2} (network namespaces");
            Console.Out.WriteLine($"rdomain{r1} and rdomain{r2}), tunnelling over UDP ports {p1} and {p2} in this namespace: each daemon");
            Console.Out.WriteLine("listens on every address (0.0.0.0 and [::], as any WireGuard interface does); the peers reach each other at 127.0.0.1.");

            Comment("create interfaces; set random private keys");
            foreach (int i in new[] { 0, 1 })
            {
                // The key goes straight to the daemon; it is never shown.
                string key = KeyGenerator.GeneratePrivateKey().ToBase64();
                if (!Step($"wgsharp {names[i]} create wgport {Num(ports[i])} wgkey `openssl rand -base64 32` rdomain {Num(rdomains[i])}",
                        () => Ifconfig(names[i], "create", "wgport", Num(ports[i]), "wgkey", key, "rdomain", Num(rdomains[i]))))
                    return false;
            }

            Comment("retrieve the public keys associated with the private keys");
            string? pub1 = PublicKeyFromStatus(if1, "PUB1"), pub2 = PublicKeyFromStatus(if2, "PUB2");
            if (pub1 is null || pub2 is null) return false;

            if (!Step($"wgsharp {if1} wgpeer $PUB2 wgendpoint 127.0.0.1 {p2} wgaip {Address2}/32",
                    () => Ifconfig(if1, "wgpeer", pub2, "wgendpoint", "127.0.0.1", p2, "wgaip", Address2 + "/32")) ||
                !Step($"wgsharp {if2} wgpeer $PUB1 wgendpoint 127.0.0.1 {p1} wgaip {Address1}/32",
                    () => Ifconfig(if2, "wgpeer", pub1, "wgendpoint", "127.0.0.1", p1, "wgaip", Address1 + "/32")) ||
                !Step($"wgsharp {if1} {Address1}/24", () => Ifconfig(if1, Address1 + "/24")) ||
                !Step($"wgsharp {if2} {Address2}/24", () => Ifconfig(if2, Address2 + "/24")))
                return false;

            Comment("ping one interface from the other");
            bool pinged = Step($"wgsharp route -T{r1} exec ping -c 3 -W 2 {Address2}",
                () => RouteCommand.Run(["-T" + r1, "exec", "ping", "-c", "3", "-W", "2", Address2]));
            if (s_interrupted) return false;

            Comment("show the listening sockets: the UDP tunnel resides in the default rdomain");
            string filter = $"( sport = :{p1} or sport = :{p2} )";
            Step($"ss -uln '{filter}'", () => RouteCommand.Execute(null, ["ss", "-uln", filter]));

            Comment("the two interfaces");
            Step($"wgsharp {if1}", () => Ifconfig(if1));
            Step($"wgsharp {if2}", () => Ifconfig(if2));
            return pinged;
        }

        /// <summary>`PUBn="`wgsharp IF | grep 'wgpubkey' | cut -d ' ' -f 2`"`, done on the status text.</summary>
        private string? PublicKeyFromStatus(string name, string variable)
        {
            Console.Out.WriteLine($"$ {variable}=\"`wgsharp {name} | grep 'wgpubkey' | cut -d ' ' -f 2`\"");
            var original = Console.Out;
            var captured = new StringWriter(CultureInfo.InvariantCulture);
            int status;
            Console.SetOut(captured);
            try { status = Ifconfig(name); }
            finally { Console.SetOut(original); }
            string? key = captured.ToString().Split('\n')
                .Where(line => line.Contains("wgpubkey", StringComparison.Ordinal))
                .Select(line => line.Split(' ') is { Length: > 1 } fields ? fields[1] : null)
                .FirstOrDefault();
            if (status != 0 || string.IsNullOrEmpty(key))
            {
                Console.Error.WriteLine($"wgsharp: demo: {name} shows no wgpubkey");
                return null;
            }
            Console.Out.WriteLine($"  {variable}={key}");
            return key;
        }

        private static int Ifconfig(string name, params string[] args) => IfconfigRunner.Run(name, args);

        private static bool Step(string display, Func<int> action)
        {
            if (s_interrupted) return false;
            Console.Out.WriteLine("$ " + display);
            int status = action();
            if (status != 0) Console.Out.WriteLine($"  (exit status {Num(status)})");
            return status == 0;
        }

        private static void Comment(string text) => Console.Out.WriteLine("\n# " + text);

        /// <summary>Destroys what the demo created; true if everything is gone.</summary>
        private bool TearDown()
        {
            var interfaces = _namesAreOurs
                ? names.Where(n => InterfaceLifecycle.IsServing(n) || InterfaceLocator.TryFind(n, out _)).ToList()
                : [];
            if (interfaces.Count == 0 && _createdNamespaces.All(n => !NetNs.Exists(n))) return true;
            Comment("tear down");
            bool clean = true;
            foreach (var name in interfaces)
            {
                Console.Out.WriteLine($"$ wgsharp {name} destroy");
                if (!InterfaceLifecycle.Destroy(name, out var error))
                {
                    Console.Error.WriteLine($"wgsharp: demo: {error}");
                    clean = false;
                }
            }
            foreach (var netns in _createdNamespaces.Where(NetNs.Exists))
            {
                Console.Out.WriteLine($"$ ip netns delete {netns}");
                try { NetNs.Delete(netns); }
                catch (InvalidOperationException e)
                {
                    Console.Error.WriteLine($"wgsharp: demo: {e.Message}");
                    clean = false;
                }
            }
            return clean;
        }

        private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
