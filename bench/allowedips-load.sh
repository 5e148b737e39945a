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
NS=wgsb-aip
IFNAME=wgsbp8
. "$(dirname "$0")/one-daemon.sh"

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

rss_mb() { python3 -c "import sys; print('%.1f' % (int(sys.argv[1]) / 1024))" "$(rss_kb "$1")"; }
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
        start_daemon "$impl" "$OUT/$impl-$load.log"
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
        printf '%-13s %-5s %10d %11s %12s %8s %11d %12s %11s\n' "$(impl_name "$impl")" "$load" \
            "$prefixes" "$(elapsed "$start" "$end")" "$(python3 -c "print('%.2f' % (($t1 - $t0) / 100))")" \
            "$(elapsed "$dstart" "$dend")" "$lines" "$before" "$after"
    done
done
