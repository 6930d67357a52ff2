"""Running siplb-bench from the tests: its path, a free port, a uas or sink
in the background (stopped by PID), a uac run to its JSON report."""
import json
import os
import signal
import socket
import subprocess

# Every field of the uac's --json report (docs/bench.md, "The JSON report").
REPORT_FIELDS = ["tool", "config", "duration_s", "sending_s", "calls", "scenarios",
                 "messages", "loss", "retransmissions", "counters", "latency_ms", "backends",
                 "backend_loss", "affinity_violations", "find_max", "timeline"]
LATENCIES = ["invite_200", "bye_200", "register_200", "options_200"]


def tool(build):
    return os.path.join(os.path.abspath(build), "bench", "siplb_bench", "siplb-bench")


def free_port(family=socket.AF_INET, addr="127.0.0.1"):
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def spawn(argv, log, prefix=()):
    """argv in the background (prefix: e.g. ip netns exec NS), output to log."""
    f = open(log, "w")
    return subprocess.Popen(list(prefix) + argv, stdout=f, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


def stop(proc):
    """SIGTERM: a uas or sink writes its summary and exits within 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.wait(10)


def run_uac(argv, report, timeout, prefix=()):
    """A uac run to its end; (exit status, output, the JSON report or {})."""
    r = subprocess.run(list(prefix) + argv + ["--json", report], capture_output=True,
                       text=True, timeout=timeout)
    try:
        with open(report) as f:
            rep = json.load(f)
    except (OSError, ValueError):
        rep = {}
    return r.returncode, r.stdout + r.stderr, rep
