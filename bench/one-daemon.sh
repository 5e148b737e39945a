# Sourced by the benchmarks that measure one daemon at a time (scale.sh, idle-wakeups.sh, allowedips-load.sh).
# Needs NS, IFNAME, OUT and IMPLS set; sets ROOT, PID and WGSHARP (publishing wgsharp Release into
# $OUT/wgsharp-bin unless WGSHARP names a published one), and removes the daemon and namespace on exit.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PID=""
mkdir -p "$OUT"

cleanup() {
    [ -n "$PID" ] && { kill "$PID" 2>/dev/null; sleep 0.3; kill -9 "$PID" 2>/dev/null; }
    PID=""
    ip netns del "$NS" 2>/dev/null
    rm -f /var/run/wireguard/"$IFNAME".sock
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

if [ -z "${WGSHARP:-}" ] && [[ " $IMPLS " == *" cs "* ]]; then
    WGSHARP="$OUT/wgsharp-bin/wgsharp"
    echo "publishing wgsharp (Release) ..." >&2
    dotnet publish "$ROOT/src/WgSharp.Cli" -c Release -o "$OUT/wgsharp-bin" -v q -nologo >"$OUT/publish.log" 2>&1 \
        || { cat "$OUT/publish.log" >&2; exit 1; }
fi

# start_daemon IMPL LOGFILE: a fresh namespace with IMPL's (cs = wgsharp, go = wireguard-go) foreground
# daemon for IFNAME in it, PID set, once its control socket is there.
start_daemon() {
    cleanup
    ip netns add "$NS"
    if [ "$1" = cs ]; then
        ip netns exec "$NS" "$WGSHARP" -f "$IFNAME" >"$2" 2>&1 &
    else
        ip netns exec "$NS" wireguard-go -f "$IFNAME" >"$2" 2>&1 &
    fi
    PID=$!
    for _ in $(seq 100); do [ -S /var/run/wireguard/"$IFNAME".sock ] && break; sleep 0.1; done
    sleep 1
}

impl_name() { [ "$1" = cs ] && echo wgsharp || echo wireguard-go; }
rss_kb() { awk '/^VmRSS/ { print $2 }' /proc/"$1"/status; }
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }

# idle_peers_conf COUNT PORT: a configuration (on stdout) listening on PORT with COUNT random public keys, one /32
# allowed IP each (10.0.0.0/8 and beyond) and no endpoint, so no peer ever arms a timer or sends (scale.sh, idle-wakeups.sh).
idle_peers_conf() {
    python3 - "$1" "$2" "$(wg genkey)" <<'PY'
import base64, os, sys
n, port, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
out = ["[Interface]", "PrivateKey = " + key, f"ListenPort = {port}", ""]
for i in range(n):
    a = 10 + (i >> 24); b = (i >> 16) & 255; c = (i >> 8) & 255; d = i & 255
    out += ["[Peer]", "PublicKey = " + base64.b64encode(os.urandom(32)).decode(), f"AllowedIPs = {a}.{b}.{c}.{d}/32", ""]
print("\n".join(out))
PY
}
