# Sourced by the two-daemon benchmarks (e2e.sh, idle-ping.sh): stops the daemons in PIDS and removes the
# namespaces NSA/NSB and the sockets of WGA/WGB, on exit and on Ctrl-C, so a failed run leaves nothing behind.
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    sleep 0.3
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    PIDS=()
    ip netns del "$NSA" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
    rm -f "/var/run/wireguard/$WGA.sock" "/var/run/wireguard/$WGB.sock"
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT
