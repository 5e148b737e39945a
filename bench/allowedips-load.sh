#!/bin/bash
# Allowed-IPs load: the whole path a large configuration takes (wg(8) -> UAPI set parse -> apply ->
# cryptokey-routing trie insert, then `wg show dump` = UAPI get) for wgsharp and, in the same run,
# wireguard-go. Two loads, each on a fresh daemon via `wg addconf`:
#   one  - one peer with ONE_PEER_IPS (default 100,000) /32s
#   many - PEERS (default 1,000) peers with IPS_PER_PEER (default 1,000) /32s each (1,000,000 in all)
# Reported per load: addconf wall seconds, daemon CPU seconds used by it, `wg show dump` wall seconds
# and its line count, daemon RSS before and after (MB).
# Usage: bench/allowedips-load.sh   Env: IMPLS (default "cs go"), LOADS (default "one many"),
#        WGSHARP (published wgsharp; default: publish Release into $OUT/wgsharp-bin), OUT (default /tmp/wgsb-aip)
set -u
umask 077
IMPLS=${IMPLS:-"cs go"}
LOADS=${LOADS:-"one many"}
ONE_PEER_IPS=${ONE_PEER_IPS:-100000}
PEERS=${PEERS:-1000}
IPS_PER_PEER=${IPS_PER_PEER:-1000}
OUT=${OUT:-/tmp/wgsb-aip}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NS=wgsb-aip
IFNAME=wgsbp8
PID=""
mkdir -p "$OUT"

cleanup() {
    [ -n "$PID" ] && { kill "$PID" 2>/dev/null; sleep 0.3; kill -9 "$PID" 2>/dev/null; }
    PID=""
    ip netns del $NS 2>/dev/null
    rm -f /var/run/wireguard/$IFNAME.sock
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

if [ -z "${WGSHARP:-}" ] && [[ " $IMPLS " == *" cs "* ]]; then
    WGSHARP="$OUT/wgsharp-bin/wgsharp"
    echo "publishing wgsharp (Release) ..." >&2
    dotnet publish "$ROOT/src/WgSharp.Cli" -c Release -o "$OUT/wgsharp-bin" -v q -nologo >"$OUT/publish.log" 2>&1 \
        || { cat "$OUT/publish.log" >&2; exit 1; }
fi

# peers.conf for a load: PEERS random public keys, IPS /32s each (consecutive addresses from 10.0.0.0),
# 100 prefixes per AllowedIPs line.
make_conf() {
    python3 - "$1" "$2" "$(wg genkey)" <<'PY'
import base64, os, sys
peers, per_peer, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
out = ["[Interface]", "PrivateKey = " + key, "ListenPort = 52398", ""]
n = 0
for _ in range(peers):
    out += ["[Peer]", "PublicKey = " + base64.b64encode(os.urandom(32)).decode()]
    for start in range(0, per_peer, 100):
        ips = []
        for i in range(n + start, n + min(start + 100, per_peer)):
            ips.append(f"{10 + (i >> 24)}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}/32")
        out.append("AllowedIPs = " + ", ".join(ips))
    n += per_peer
    out.append("")
print("\n".join(out))
PY
}

rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/"$1"/status; }
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

for load in $LOADS; do
    case $load in
        one) make_conf 1 "$ONE_PEER_IPS" > "$OUT/$load.conf" ;;
        many) make_conf "$PEERS" "$IPS_PER_PEER" > "$OUT/$load.conf" ;;
        *) echo "unknown load $load" >&2; exit 2 ;;
    esac
done

printf '%-13s %-5s %10s %11s %12s %8s %11s %12s %11s\n' implementation load "prefixes" "addconf s" "daemon CPU s" "dump s" "dump lines" "RSS before MB" "RSS after MB"
for load in $LOADS; do
    for impl in $IMPLS; do
        cleanup
        ip netns add $NS
        if [ "$impl" = cs ]; then
            ip netns exec $NS "$WGSHARP" -f $IFNAME >"$OUT/$impl-$load.log" 2>&1 &
        else
            ip netns exec $NS wireguard-go -f $IFNAME >"$OUT/$impl-$load.log" 2>&1 &
        fi
        PID=$!
        for _ in $(seq 100); do [ -S /var/run/wireguard/$IFNAME.sock ] && break; sleep 0.1; done
        sleep 1
        before=$(rss_mb "$PID")
        t0=$(cpu_ticks "$PID"); start=$(now)
        ip netns exec $NS wg addconf $IFNAME "$OUT/$load.conf" || echo "addconf failed for $impl" >&2
        end=$(now); t1=$(cpu_ticks "$PID")
        dstart=$(now)
        lines=$(ip netns exec $NS wg show $IFNAME dump | wc -l)
        dend=$(now)
        sleep 2 # wgsharp compacts its heap half a second after a bulk change
        after=$(rss_mb "$PID")
        prefixes=$(ip netns exec $NS wg show $IFNAME allowed-ips | awk '{ n += NF - 1 } END { print n }')
        printf '%-13s %-5s %10d %11s %12s %8s %11d %12s %11s\n' "$([ "$impl" = cs ] && echo wgsharp || echo wireguard-go)" "$load" \
            "$prefixes" "$(elapsed "$start" "$end")" "$(python3 -c "print('%.2f' % (($t1 - $t0) / 100))")" \
            "$(elapsed "$dstart" "$dend")" "$lines" "$before" "$after"
    done
done
