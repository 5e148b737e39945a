#!/bin/bash
# End-to-end throughput/latency of wgsharp against wireguard-go, all in ONE run so the ratios are
# comparable on a shared machine. Two network namespaces joined by a veth pair; in order:
#   bare veth (ceiling), wireguard-go<->wireguard-go, wgsharp<->wgsharp, wgsharp<->wireguard-go.
# Per configuration: iperf3 TCP 1 stream, TCP 4 streams, UDP at a fixed rate (loss reported), idle ping
# (300 at 10 ms: average, p50 and p99 RTT).
# CPU cost of each daemon = (utime+stime) delta from /proc/PID/stat during the test, per GB moved.
#
# Usage: sudo bench/e2e.sh            (10 s per iperf3 test)
#        DURATION=3 bench/e2e.sh      (quick run)
#        CONFIGS="go-go cs-cs jit-jit" bench/e2e.sh   (the default NativeAOT build against the JIT build)
# Env:   DURATION (s, default 10), UDP_RATE (default 300M), CONFIGS (default "veth go-go cs-cs cs-go";
#        also go-cs, and jit-jit: wgsharp's JIT build on both sides),
#        WGSHARP (path of a published wgsharp; default: publish Release, NativeAOT, into $OUT/wgsharp-bin),
#        WGSHARP_JIT (the same for the JIT build; default: publish it into $OUT/wgsharp-jit),
#        OUT (result dir, default /tmp/wgsb-e2e), WGSHARP_GC_STATS=1 is passed to wgsharp daemons,
#        TESTS (default "tcp1 tcp4 udp ping"; e.g. TESTS=tcp1 for A/B series of one figure).
set -u
umask 077
DURATION=${DURATION:-10}
UDP_RATE=${UDP_RATE:-300M}
CONFIGS=${CONFIGS:-"veth go-go cs-cs cs-go"}
TESTS=${TESTS:-"tcp1 tcp4 udp ping"}
OUT=${OUT:-/tmp/wgsb-e2e}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NSA=wgsb-a NSB=wgsb-b
VETHA=wgsbpa VETHB=wgsbpb
WGA=wgsbp0 WGB=wgsbp1
OUTER_A=10.231.0.1 OUTER_B=10.231.0.2
INNER_A=10.232.0.1 INNER_B=10.232.0.2
PORT_A=52301 PORT_B=52302

mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
: > "$RESULTS"

. "$ROOT/bench/two-namespaces.sh"

case "$(uname -m)" in aarch64) RID=linux-arm64 ;; *) RID=linux-x64 ;; esac

publish() {
    if [ -n "${WGSHARP:-}" ]; then return; fi
    WGSHARP="$OUT/wgsharp-bin/wgsharp"
    echo "publishing wgsharp (Release, NativeAOT) to $OUT/wgsharp-bin ..." >&2
    dotnet publish "$ROOT/src/WgSharp.Cli" -c Release -r $RID -o "$OUT/wgsharp-bin" -v q -nologo >"$OUT/publish.log" 2>&1 \
        || { cat "$OUT/publish.log" >&2; echo "publish failed" >&2; exit 1; }
}

publish_jit() {
    if [ -n "${WGSHARP_JIT:-}" ]; then return; fi
    WGSHARP_JIT="$OUT/wgsharp-jit/wgsharp"
    echo "publishing wgsharp (Release, JIT) to $OUT/wgsharp-jit ..." >&2
    dotnet publish "$ROOT/src/WgSharp.Cli" -c Release -r $RID --self-contained false -p:PublishAot=false -o "$OUT/wgsharp-jit" \
        -v q -nologo >"$OUT/publish-jit.log" 2>&1 || { cat "$OUT/publish-jit.log" >&2; echo "publish failed" >&2; exit 1; }
}

make_net() {
    cleanup
    ip netns add $NSA && ip netns add $NSB
    ip link add $VETHA netns $NSA type veth peer name $VETHB netns $NSB
    ip -n $NSA addr add $OUTER_A/24 dev $VETHA
    ip -n $NSB addr add $OUTER_B/24 dev $VETHB
    for ns in $NSA $NSB; do ip -n $ns link set lo up; done
    ip -n $NSA link set $VETHA up
    ip -n $NSB link set $VETHB up
}

# start_daemon IMPL NS IFNAME -> sets DAEMON_PID
start_daemon() {
    local impl=$1 ns=$2 ifname=$3
    if [ "$impl" = cs ] || [ "$impl" = jit ]; then
        local exe=${WGSHARP:-}; [ "$impl" = jit ] && exe=$WGSHARP_JIT
        ip netns exec "$ns" env WGSHARP_GC_STATS=1 "$exe" -f "$ifname" >"$OUT/$ifname.log" 2>&1 &
    else
        ip netns exec "$ns" wireguard-go -f "$ifname" >"$OUT/$ifname.log" 2>&1 &
    fi
    DAEMON_PID=$!
    PIDS+=("$DAEMON_PID")
    for _ in $(seq 100); do
        [ -S /var/run/wireguard/$ifname.sock ] && return 0
        sleep 0.1
    done
    echo "daemon $impl $ifname did not start" >&2; cat "$OUT/$ifname.log" >&2; return 1
}

# setup_tunnel IMPL_A IMPL_B -> PID_A PID_B, server address SERVER
setup_tunnel() {
    make_net
    wg genkey > "$OUT/a.key"; wg genkey > "$OUT/b.key"
    start_daemon "$1" $NSA $WGA || return 1; PID_A=$DAEMON_PID
    start_daemon "$2" $NSB $WGB || return 1; PID_B=$DAEMON_PID
    ip netns exec $NSA wg set $WGA private-key "$OUT/a.key" listen-port $PORT_A \
        peer "$(wg pubkey < "$OUT/b.key")" allowed-ips $INNER_B/32 endpoint $OUTER_B:$PORT_B
    ip netns exec $NSB wg set $WGB private-key "$OUT/b.key" listen-port $PORT_B \
        peer "$(wg pubkey < "$OUT/a.key")" allowed-ips $INNER_A/32 endpoint $OUTER_A:$PORT_A
    ip -n $NSA addr add $INNER_A/24 dev $WGA; ip -n $NSA link set $WGA up
    ip -n $NSB addr add $INNER_B/24 dev $WGB; ip -n $NSB link set $WGB up
    ip netns exec $NSA ping -c 3 -i 0.2 -W 2 $INNER_B >/dev/null || { echo "tunnel $1-$2 does not pass ping" >&2; return 1; }
    SERVER=$INNER_B
}

cpu_ticks() { # utime+stime of PID in clock ticks (0 when no pid)
    [ -z "${1:-}" ] && { echo 0; return; }
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/"$1"/stat 2>/dev/null || echo 0
}

# run_test CONFIG TEST ARGS... : one iperf3 run, appends a TSV row
run_test() {
    local config=$1 test=$2; shift 2
    local json="$OUT/$config-$test.json"
    local a0 b0 a1 b1
    ip netns exec $NSB iperf3 -s -1 >/dev/null 2>&1 &
    local server=$!; PIDS+=("$server"); sleep 0.3
    a0=$(cpu_ticks "${PID_A:-}"); b0=$(cpu_ticks "${PID_B:-}")
    # In the background + wait, so an interrupt runs the cleanup trap at once.
    ip netns exec $NSA iperf3 -c "$SERVER" -t "$DURATION" -J "$@" > "$json" 2>/dev/null &
    local client=$!; PIDS+=("$client")
    wait "$client"
    a1=$(cpu_ticks "${PID_A:-}"); b1=$(cpu_ticks "${PID_B:-}")
    sleep 0.2; kill "$server" 2>/dev/null
    python3 - "$json" "$config" "$test" $((a1 - a0)) $((b1 - b0)) "$(getconf CLK_TCK)" "${PID_A:-}" >> "$RESULTS" <<'EOF'
import json, sys
path, config, test, da, db, hz, has_daemon = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7] != ""
try:
    d = json.load(open(path))
    end = d["end"]
    if d["start"]["test_start"]["protocol"] == "UDP":
        s = end["sum"]; loss = "%.2f" % s.get("lost_percent", 0.0); retr = ""
    else:
        s = end["sum_received"]; loss = ""; retr = str(end["sum_sent"].get("retransmits", ""))
    gbytes = s["bytes"] / 1e9
    gbits = s["bits_per_second"] / 1e9
    cpu_a = "%.2f" % (da / hz / gbytes) if has_daemon and gbytes > 0 else "-"
    cpu_b = "%.2f" % (db / hz / gbytes) if has_daemon and gbytes > 0 else "-"
    print("\t".join([config, test, "%.3f" % gbits, cpu_a, cpu_b, loss, retr]))
except Exception as e:
    print("\t".join([config, test, "fail", "-", "-", "", ""]))
EOF
}

# run_ping CONFIG: idle ping, 300 at 10 ms; rows ping (average RTT), p50 and p99 (ms)
run_ping() {
    local config=$1
    ip netns exec $NSA ping -c 300 -i 0.01 "$SERVER" 2>/dev/null | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' > "$OUT/$config-ping.txt"
    python3 - "$OUT/$config-ping.txt" "$config" >> "$RESULTS" <<'EOF'
import sys
rtts = sorted(float(x) for x in open(sys.argv[1]) if x.strip())
at = lambda q: "%.3f" % rtts[min(len(rtts) - 1, int(q * len(rtts)))] if rtts else "fail"
average = "%.3f" % (sum(rtts) / len(rtts)) if rtts else "fail"
for test, value in (("ping", average), ("p50", at(0.50)), ("p99", at(0.99))):
    print("\t".join([sys.argv[2], test, value, "-", "-", "", ""]))
EOF
}

run_config() {
    local config=$1
    PID_A="" PID_B=""
    case $config in
        veth) make_net; SERVER=$OUTER_B ;;
        go-go) setup_tunnel go go || return ;;
        cs-cs) setup_tunnel cs cs || return ;;
        cs-go) setup_tunnel cs go || return ;;
        go-cs) setup_tunnel go cs || return ;;
        jit-jit) setup_tunnel jit jit || return ;;
        *) echo "unknown config $config" >&2; return ;;
    esac
    echo "== $config" >&2
    for test in $TESTS; do
        case $test in
            tcp1) run_test "$config" tcp1 ;;
            tcp4) run_test "$config" tcp4 -P 4 ;;
            udp) run_test "$config" udp -u -b "$UDP_RATE" -l 1300 ;;
            ping) run_ping "$config" ;;
            *) echo "unknown test $test" >&2 ;;
        esac
    done
    # Daemons print their GC statistics (WGSHARP_GC_STATS) on a clean stop.
    [ -n "$PID_A" ] && kill "$PID_A" "$PID_B" 2>/dev/null; sleep 0.5
    cleanup
}

case " $CONFIGS " in *" cs-"*|*"-cs "*) publish ;; esac
case " $CONFIGS " in *" jit-jit "*) publish_jit ;; esac
for c in $CONFIGS; do run_config "$c"; done
for f in "$OUT"/$WGA.log "$OUT"/$WGB.log; do [ -f "$f" ] && grep -h "GC" "$f" >&2; done

python3 - "$RESULTS" "$DURATION" "$UDP_RATE" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
names = {"veth": "bare veth", "go-go": "wireguard-go<->wireguard-go", "cs-cs": "wgsharp<->wgsharp",
         "cs-go": "wgsharp->wireguard-go", "go-cs": "wireguard-go->wgsharp", "jit-jit": "wgsharp JIT<->wgsharp JIT"}
base = {(r[0], r[1]): r[2] for r in rows}
print(f"\nduration {sys.argv[2]} s per iperf3 test, UDP at {sys.argv[3]}bit/s; CPU = daemon CPU seconds per GB (sender side A / receiver side B)")
print(f"{'configuration':30} {'test':5} {'Gbit/s | RTT ms':>16} {'CPU s/GB A':>11} {'CPU s/GB B':>11} {'loss %':>7} {'retr':>7} {'vs go-go':>9}")
for c, t, v, ca, cb, loss, retr in rows:
    ratio = ""
    ref = base.get(("go-go", t))
    if c.startswith("cs") or c.endswith("cs") or c == "jit-jit":
        try:
            ratio = "%.2fx rtt" % (float(v) / float(ref)) if t in ("ping", "p50", "p99") else "%.2fx" % (float(v) / float(ref))
        except (TypeError, ValueError, ZeroDivisionError):
            ratio = "?"
    print(f"{names.get(c, c):30} {t:5} {v:>16} {ca:>11} {cb:>11} {loss:>7} {retr:>7} {ratio:>9}")
EOF
