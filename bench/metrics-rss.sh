#!/bin/bash
# The metrics endpoint under load (issue 21, finding 2): a daemon with PEERS peers (default 5,000) and metrics
# on is scraped SCRAPES times (default 100), each more than a second apart so every scrape collects anew (the
# exposition is cached for 1 s); prints the exposition's size, the time of the first and the slowest scrape,
# and the daemon's VmRSS before and every 10 scrapes. Flat RSS is the target (it rose 16 -> 152 MB in three
# scrapes before the fix).
#
# Usage: sudo bench/metrics-rss.sh
# Env:   WGSHARP (the wgsharp executable or apphost; default the Release build's apphost), PEERS, SCRAPES, PORT.
set -eu
umask 077
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WGSHARP=${WGSHARP:-$ROOT/src/WgSharp.Cli/bin/Release/net10.0/WgSharp.Cli}
PEERS=${PEERS:-5000}
SCRAPES=${SCRAPES:-100}
PORT=${PORT:-19586}
IFNAME=wgsbrss0
WORK=$(mktemp -d /tmp/wgsb-metrics-rss.XXXXXX)
[ -x "$WGSHARP" ] || { echo "no $WGSHARP: dotnet build src/WgSharp.Cli -c Release first, or set WGSHARP" >&2; exit 1; }

cleanup() {
    [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

WGSHARP_METRICS=$PORT "$WGSHARP" -f "$IFNAME" 2>"$WORK/log" &
PID=$!
for _ in $(seq 100); do [ -S "/var/run/wireguard/$IFNAME.sock" ] && break; sleep 0.1; done

python3 - "$PEERS" > "$WORK/peers.conf" <<'PY'
import base64, os, sys
print("[Interface]\nPrivateKey = " + base64.b64encode(os.urandom(32)).decode())
for i in range(int(sys.argv[1])):
    print(f"[Peer]\nPublicKey = {base64.b64encode(os.urandom(32)).decode()}\nAllowedIPs = 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}/32")
PY
wg setconf "$IFNAME" "$WORK/peers.conf"

rss() { awk '/^VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$PID/status"; }
echo "peers $PEERS, idle RSS $(rss)"
slowest=0
for i in $(seq "$SCRAPES"); do
    start=$(date +%s%N)
    bytes=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PORT/metrics")
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    [ "$i" -eq 1 ] && echo "scrape 1: $bytes bytes in $ms ms, RSS $(rss)"
    [ "$ms" -gt "$slowest" ] && slowest=$ms
    [ $((i % 10)) -eq 0 ] && echo "after $i scrapes: RSS $(rss) (slowest scrape so far $slowest ms)"
    sleep 1.05
done
