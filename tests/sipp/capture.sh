#!/bin/sh
# Captures real SIPp traffic on loopback: a SIPp UAC makes CALLS calls
# (INVITE/ACK/BYE) to a SIPp UAS, tshark records them, and every UDP payload
# becomes one datagram file OUTDIR/NNNN.sip for the scanner tests.
# usage: capture.sh OUTDIR [CALLS]
set -eu
out=$1
calls=${2:-20}
work=$(mktemp -d /tmp/siplb-sipp.XXXXXX)
uas_pid= tshark_pid=

cleanup() {
    [ -n "$uas_pid" ] && kill "$uas_pid" 2>/dev/null || true
    [ -n "$tshark_pid" ] && kill "$tshark_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

for tool in sipp tshark; do
    command -v "$tool" >/dev/null || { echo "capture: $tool missing (run ./deps.sh)"; exit 1; }
done

# Ports of our own in the unprivileged range, different per run.
uas_port=$(( 20000 + $$ % 20000 ))
uac_port=$(( uas_port + 1 ))

tshark -i lo -f "udp and (port $uas_port or port $uac_port)" -w "$work/cap.pcapng" \
    >"$work/tshark.log" 2>&1 &
tshark_pid=$!
for _ in $(seq 50); do
    grep -q "Capturing on" "$work/tshark.log" && break
    sleep 0.1
done
grep -q "Capturing on" "$work/tshark.log" || { cat "$work/tshark.log"; exit 1; }

sipp -sn uas -i 127.0.0.1 -p "$uas_port" -nostdin -timeout 30s \
    >"$work/uas.log" 2>&1 &
uas_pid=$!
sleep 0.3
sipp -sn uac "127.0.0.1:$uas_port" -i 127.0.0.1 -p "$uac_port" -m "$calls" -r 50 \
    -nostdin -timeout 20s -timeout_error >"$work/uac.log" 2>&1 || {
    echo "capture: SIPp UAC failed"; tail -20 "$work/uac.log"; exit 1; }
sleep 0.3
kill "$tshark_pid"
wait "$tshark_pid" 2>/dev/null || true
tshark_pid=

mkdir -p "$out"
rm -f "$out"/*.sip
tshark -r "$work/cap.pcapng" -T fields -e udp.payload 2>/dev/null |
    python3 -c '
import sys
n = 0
for line in sys.stdin:
    hexs = line.strip().replace(":", "")
    if not hexs:
        continue
    n += 1
    with open("%s/%04d.sip" % (sys.argv[1], n), "wb") as f:
        f.write(bytes.fromhex(hexs))
print("capture: %d datagrams of %s calls in %s" % (n, sys.argv[2], sys.argv[1]))
' "$out" "$calls"
