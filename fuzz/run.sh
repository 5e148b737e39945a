#!/usr/bin/env bash
# Coverage-guided fuzzing of wgsharp with SharpFuzz + AFL++. One target per untrusted input (docs/robustness.md):
#   handshake  - ProtocolEngine.ProcessHandshake + OpenTransport (initiation, response, cookie reply, transport)
#   uapi       - UapiSetParser (the `wg set` protocol body)
#   uapiframe  - the UAPI socket as the daemon serves it: raw bytes, UTF-8, what follows get=1, requests in a row
#   getreply   - the client side: a `get` reply parsed (UapiGetParser) and printed as wg show/showconf/json do
#   metrics    - the metrics endpoint's HTTP request, on a real connection
#   ifconfig   - IfconfigParser (the OpenBSD-style command line)
#   hostnameif - hostname.if files: word splitting, quotes, positional address rewriting, address plan
#   wgconf     - wg(8)/wg-quick configuration files (WgConfigParser)
#   wgset      - `wg set` arguments (WgSetArguments)
#   netstack   - the userspace stack's packet input (IpPacketReader, IpReassembler, UdpLayer, IcmpLayer, TcpLayer)
#   inner      - decrypted inner packets: IpPacket, then TcpCoalescer (software GRO)
#   tun        - TUN reads with offloads: virtio_net_hdr, TcpSegmenter (GSO split, checksum completion)
#   socks5     - `wgsharp proxy`'s SOCKS5 parsers (greeting, RFC 1929 authentication, request, UDP header)
#   http-proxy - `wgsharp proxy`'s HTTP request-head parser, target splitting and rewriting
# Usage: fuzz/run.sh [TOTAL_SECONDS=60] [TARGET...|all]   (the time is split evenly between the targets)
# Without targets, a rotating subset of FUZZ_TARGETS_PER_RUN (default 4) runs: which one follows FUZZ_ROTATION,
# by default the day number, so consecutive CI days cover every target within the same time budget.
# Exit status 1 if any target crashed; crashing inputs are copied to fuzz/crashes/TARGET/ (commit them:
# tests/WgSharp.Tests/Robustness/FuzzRegressionTests replays every file there). Needs root only for apt-get.
set -euo pipefail
cd "$(dirname "$0")"
total=${1:-60}
shift || true
targets=("$@")
all=(handshake uapi uapiframe getreply metrics ifconfig hostnameif wgconf wgset netstack inner tun socks5 http-proxy)
if [ ${#targets[@]} -eq 1 ] && [ "${targets[0]}" = all ]; then
    targets=("${all[@]}")
elif [ ${#targets[@]} -eq 0 ]; then
    per_run=${FUZZ_TARGETS_PER_RUN:-4}
    rotation=${FUZZ_ROTATION:-$(( $(date +%s) / 86400 ))}
    for (( i = 0; i < per_run && i < ${#all[@]}; i++ )); do
        targets+=("${all[$(( (rotation * per_run + i) % ${#all[@]} ))]}")
    done
fi
per_target=$(( total / ${#targets[@]} ))
echo "targets: ${targets[*]}"

if ! command -v afl-fuzz >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
export PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v sharpfuzz >/dev/null; then
    dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

rm -rf out
dotnet build WgSharp.Fuzz -c Release -o out -v q -nologo >/dev/null
# Instrument the code under test in place. Only these namespaces: SharpFuzz's IL rewriting breaks the
# [InlineArray] Key struct (AccessViolationException in Key's constructor), and Keys/Crypto are not fuzz subjects.
# Device and Linux only by type: both hold other [InlineArray] structs (UdpEndpoint) and native I/O.
sharpfuzz out/WgSharp.dll WgSharp.Protocol WgSharp.Control WgSharp.Configuration WgSharp.Packets WgSharp.Netstack \
    WgSharp.Device.IpPacket WgSharp.Linux.TcpCoalescer WgSharp.Linux.TcpSegmenter WgSharp.Linux.VirtioNetHeader >/dev/null
sharpfuzz out/WgSharp.Cli.dll WgSharp.Cli.Wg WgSharp.Cli.Daemon.MetricsEndpoint WgSharp.Cli.Proxy >/dev/null

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
       AFL_NO_AFFINITY=1 AFL_SHUFFLE_QUEUE=0 DOTNET_TieredPGO=0
mkdir -p findings
status=0
for target in "${targets[@]}"; do
    findings="findings/$target"
    rm -rf "$findings"
    # -t: .NET start-up is slow, so a generous timeout; -m none: the CLR reserves lots of address space.
    afl-fuzz -V "$per_target" -t 5000 -m none -i "corpus/$target" -o "$findings" -- dotnet out/WgSharp.Fuzz.dll "$target" \
        > "findings/$target.log" 2>&1 || { echo "afl-fuzz failed for $target (see fuzz/findings/$target.log)"; status=2; continue; }
    stats="$findings/default/fuzzer_stats"
    execs=$(awk -F' : ' '/^execs_done/{print $2}' "$stats")
    paths=$(awk -F' : ' '/^corpus_count/{print $2}' "$stats")
    crashes=$(find "$findings/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
    echo "$target: ${per_target}s, $execs execs, corpus $paths, crashes $crashes"
    if [ "$crashes" -gt 0 ]; then
        mkdir -p "crashes/$target"
        cp "$findings"/default/crashes/id:* "crashes/$target/"
        status=1
    fi
done
exit $status
