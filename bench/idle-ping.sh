#!/bin/bash
# Idle-ping tail latency of daemon variants, alternated round by round so a shared machine's load falls on
# all of them alike. Per variant and round: two fresh daemons in namespaces wgsi-a/wgsi-b (veth wgsipa/wgsipb,
# 10.233.0.0/24; tunnels wgsip0/wgsip1, 10.234.0.1/.2), a few pings to make the session, then COUNT pings at
# 10 ms; prints p50/p90/p99/max and pings over 1 ms, then each variant's range over the rounds.
#
# Usage: bench/idle-ping.sh
# Env:   VARIANTS  space-separated NAME=SETTINGS, SETTINGS comma-separated: environment for the daemons
#                  (e.g. DOTNET_TieredCompilation=0), BIN=/path/to/wgsharp, WARM=N (N pings at 2 ms before
#                  measuring); the name "go" runs wireguard-go. Default: "cs=- go=-".
#        ROUNDS (default 3), COUNT (default 300), RT=1 runs daemons and ping under `chrt -f 20` (takes the
#        machine's other load out, leaving only the daemons' own delays), WGSHARP (default: publish Release
#        into $OUT/wgsharp-bin), OUT (default /tmp/wgsi-ping).
set -u
umask 077
VARIANTS=${VARIANTS:-"cs=- go=-"}
ROUNDS=${ROUNDS:-3}
COUNT=${COUNT:-300}
OUT=${OUT:-/tmp/wgsi-ping}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NSA=wgsi-a NSB=wgsi-b WGA=wgsip0 WGB=wgsip1
PRIO=""; [ "${RT:-0}" = 1 ] && PRIO="chrt -f 20"
mkdir -p "$OUT"
: > "$OUT/results.tsv"

. "$ROOT/bench/two-namespaces.sh"

if [ -z "${WGSHARP:-}" ]; then
    WGSHARP="$OUT/wgsharp-bin/wgsharp"
    echo "publishing wgsharp (Release) to $OUT/wgsharp-bin ..." >&2
    dotnet publish "$ROOT/src/WgSharp.Cli" -c Release -o "$OUT/wgsharp-bin" -v q -nologo >"$OUT/publish.log" 2>&1 \
        || { cat "$OUT/publish.log" >&2; echo "publish failed" >&2; exit 1; }
fi
wg genkey > "$OUT/a.key"; wg genkey > "$OUT/b.key"

# start NAME SETTINGS NS IFNAME
start() {
    local name=$1 settings=$2 ns=$3 ifname=$4 bin=$WGSHARP env=() item
    IFS=, read -ra items <<< "$settings"
    for item in "${items[@]}"; do
        case $item in BIN=*) bin=${item#BIN=} ;; WARM=*|-|"") ;; *) env+=("$item") ;; esac
    done
    if [ "$name" = go ]; then
        $PRIO ip netns exec "$ns" wireguard-go -f "$ifname" >"$OUT/$ifname.log" 2>&1 &
    else
        $PRIO ip netns exec "$ns" env "${env[@]}" "$bin" -f "$ifname" >"$OUT/$ifname.log" 2>&1 &
    fi
    PIDS+=($!)
    for _ in $(seq 100); do [ -S /var/run/wireguard/$ifname.sock ] && return 0; sleep 0.1; done
    echo "$name: daemon did not start" >&2; return 1
}

# measure NAME SETTINGS ROUND
measure() {
    local name=$1 settings=$2 round=$3 warm
    cleanup
    ip netns add $NSA && ip netns add $NSB
    ip link add wgsipa netns $NSA type veth peer name wgsipb netns $NSB
    ip -n $NSA addr add 10.233.0.1/24 dev wgsipa
    ip -n $NSB addr add 10.233.0.2/24 dev wgsipb
    for ns in $NSA $NSB; do ip -n $ns link set lo up; done
    ip -n $NSA link set wgsipa up; ip -n $NSB link set wgsipb up
    start "$name" "$settings" $NSA $WGA || return
    start "$name" "$settings" $NSB $WGB || return
    ip netns exec $NSA wg set $WGA private-key "$OUT/a.key" listen-port 52311 \
        peer "$(wg pubkey < "$OUT/b.key")" allowed-ips 10.234.0.2/32 endpoint 10.233.0.2:52312
    ip netns exec $NSB wg set $WGB private-key "$OUT/b.key" listen-port 52312 \
        peer "$(wg pubkey < "$OUT/a.key")" allowed-ips 10.234.0.1/32 endpoint 10.233.0.1:52311
    ip -n $NSA addr add 10.234.0.1/24 dev $WGA; ip -n $NSA link set $WGA up
    ip -n $NSB addr add 10.234.0.2/24 dev $WGB; ip -n $NSB link set $WGB up
    ip netns exec $NSA ping -c 5 -i 0.5 -W 3 10.234.0.2 >/dev/null || { echo "$name: tunnel does not pass ping" >&2; return; }
    warm=$(sed -n 's/.*WARM=\([0-9]*\).*/\1/p' <<< "$settings")
    [ -n "$warm" ] && ip netns exec $NSA ping -c "$warm" -i 0.002 -q 10.234.0.2 >/dev/null
    $PRIO ip netns exec $NSA ping -c "$COUNT" -i 0.01 10.234.0.2 | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' > "$OUT/$name.$round.txt"
    python3 - "$OUT/$name.$round.txt" "$name" "$round" <<'EOF' | tee -a "$OUT/results.tsv"
import sys
rtts = sorted(float(x) for x in open(sys.argv[1]) if x.strip())
if rtts:
    at = lambda q: rtts[min(len(rtts) - 1, int(q * len(rtts)))]
    print("%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%d" % (sys.argv[2], sys.argv[3], len(rtts), at(.5), at(.9), at(.99), rtts[-1], sum(r > 1 for r in rtts)))
EOF
}

echo -e "variant\tround\tpings\tp50\tp90\tp99\tmax\tover 1 ms   (ms)"
for round in $(seq "$ROUNDS"); do
    for variant in $VARIANTS; do measure "${variant%%=*}" "${variant#*=}" "$round"; done
done
cleanup
python3 - "$OUT/results.tsv" <<'EOF'
import sys, collections
by = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split("\t")
    by[f[0]].append([float(x) for x in f[3:8]])
print("\nover the rounds: variant, p50 range, p99 range, max range, rounds with a ping over 1 ms")
for name, rows in by.items():
    span = lambda i: "%.3f-%.3f" % (min(r[i] for r in rows), max(r[i] for r in rows))
    print(f"{name:12} p50 {span(0)}  p99 {span(2)}  max {span(3)}  {sum(r[4] > 0 for r in rows)} of {len(rows)}")
EOF
