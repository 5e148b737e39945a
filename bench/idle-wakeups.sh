#!/bin/bash
# Idle wake-ups: how often an idle daemon with PEERS configured peers (no endpoints, no traffic) wakes up.
# Counts every thread's context switches (voluntary + involuntary, /proc/PID/task/*/status) over IDLE seconds
# after the configuration settled; each switch away from a thread that then sleeps is one wake-up later.
# Prints wake-ups per second in total and per thread name (the busiest first).
# Usage: sudo bench/idle-wakeups.sh      Env: PEERS (default 10000), IDLE (s, default 30), IMPLS (default "cs";
#        "cs go" adds wireguard-go), WGSHARP (published wgsharp; default: publish Release into $OUT/wgsharp-bin),
#        OUT (default /tmp/wgsb-idle), NS and IFNAME (namespace and interface)
set -u
umask 077
PEERS=${PEERS:-10000}
IDLE=${IDLE:-30}
IMPLS=${IMPLS:-"cs"}
OUT=${OUT:-/tmp/wgsb-idle}
NS=${NS:-wgsb-i}
IFNAME=${IFNAME:-wgsbp8}
. "$(dirname "$0")/one-daemon.sh"

idle_peers_conf "$PEERS" 52398 > "$OUT/peers.conf" # no endpoints: nothing arms a timer

# switches PID: "name count" per thread (voluntary + involuntary context switches so far).
switches() {
    for t in /proc/"$1"/task/*; do
        name=$(tr ' ' '_' < "$t/comm" 2>/dev/null) || continue
        awk -v n="$name" '/ctxt_switches/ { s += $2 } END { print n, s }' "$t/status" 2>/dev/null
    done
}

for impl in $IMPLS; do
    start_daemon "$impl" "$OUT/$impl.log"
    ip netns exec $NS ip link set $IFNAME up
    ip netns exec $NS wg setconf $IFNAME "$OUT/peers.conf" || { echo "setconf failed for $impl" >&2; continue; }
    sleep 5 # let start-up and the configuration's aftermath (compaction, GC) finish
    switches "$PID" > "$OUT/$impl.before"
    sleep "$IDLE"
    switches "$PID" > "$OUT/$impl.after"
    count=$(ip netns exec $NS wg show $IFNAME peers | wc -l)
    python3 - "$OUT/$impl.before" "$OUT/$impl.after" "$IDLE" "$(impl_name "$impl")" "$count" <<'PY'
import sys, collections
def load(path):
    d = collections.Counter()
    for line in open(path):
        parts = line.split()
        if len(parts) == 2: d[parts[0]] += int(parts[1])
    return d
before, after, idle, impl, peers = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
delta = {k: after[k] - before.get(k, 0) for k in after}
total = sum(delta.values())
print(f"{impl}: {peers} peers idle {idle:.0f} s: {total / idle:.1f} wake-ups/s")
for name, n in sorted(delta.items(), key=lambda kv: -kv[1]):
    if n > 0: print(f"  {name:<20} {n / idle:8.2f}/s")
PY
done
