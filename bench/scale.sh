#!/bin/bash
# Scale: memory per idle peer, the time to apply a 100,000-peer configuration through the UAPI
# (`wg setconf`) and the CPU the idle peers cost afterwards, for wgsharp and, in the same run, wireguard-go.
# Usage: bench/scale.sh          Env: PEERS (default 100000), IMPLS (default "cs go"),
#        WGSHARP (published wgsharp; default: publish Release into $OUT/wgsharp-bin), OUT (default /tmp/wgsb-scale),
#        IDLE (seconds of idle CPU measured after the setconf, default 10), NS and IFNAME (namespace and interface)
set -u
umask 077
PEERS=${PEERS:-100000}
IMPLS=${IMPLS:-"cs go"}
OUT=${OUT:-/tmp/wgsb-scale}
NS=${NS:-wgsb-s}
IFNAME=${IFNAME:-wgsbp9}
. "$(dirname "$0")/one-daemon.sh"

idle_peers_conf "$PEERS" 52399 > "$OUT/peers.conf"

IDLE=${IDLE:-10}

printf '%-14s %8s %14s %14s %14s %12s %14s\n' implementation peers "RSS before MB" "RSS after MB" "bytes/peer" "setconf s" "idle CPU %"
for impl in $IMPLS; do
    start_daemon "$impl" "$OUT/$impl.log"
    before=$(rss_kb "$PID")
    start=$(date +%s.%N)
    ip netns exec $NS wg setconf $IFNAME "$OUT/peers.conf" || echo "setconf failed for $impl (wireguard-go refuses more than 65536 peers; the count below is what it took)" >&2
    end=$(date +%s.%N)
    sleep 2
    after=$(rss_kb "$PID")
    # What the idle peers cost: the daemon's CPU over IDLE seconds with nothing happening (100 ticks/s).
    t0=$(cpu_ticks "$PID"); sleep "$IDLE"; t1=$(cpu_ticks "$PID")
    count=$(ip netns exec $NS wg show $IFNAME peers | wc -l)
    python3 -c "import sys; b,a,s,e,n,impl,t,d=sys.argv[1:]; b=int(b);a=int(a);n=int(n); print('%-14s %8d %14.1f %14.1f %14.0f %12.2f %14.1f' % (impl, n, b/1024, a/1024, (a-b)*1024/max(n,1), float(e)-float(s), int(t)/float(d)))" \
        "$before" "$after" "$start" "$end" "$count" "$(impl_name "$impl")" "$((t1 - t0))" "$IDLE"
done
