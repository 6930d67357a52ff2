#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""GET /metrics with curl from metrics_test_server (the fixture snapshot),
and Prometheus' own text parser (Debian's python3-prometheus-client) on what
it serves: families, types, one-hot states; Prometheus' own linter
(`promtool check metrics`, Debian's prometheus) finds nothing to say; 503
before the first snapshot, 404 elsewhere, 405 for other methods, HEAD
without a body.

  test_metrics_http.py METRICS_TEST_SERVER
"""
import json
import os
import re
import shutil
import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import FAILURES, check, exit_status  # noqa: E402

SERVER = sys.argv[1]


def curl(url, *args):
    """(status, content type, body) of one request."""
    p = subprocess.run(["curl", "-sS", "--max-time", "5", "-o", "-", "-w",
                        "\n%{http_code} %{content_type}", *args, url],
                       capture_output=True, text=True, timeout=20)
    body, _, tail = p.stdout.rpartition("\n")
    code, _, ctype = tail.partition(" ")
    return int(code), ctype, body


def samples(text):
    """{(name, frozenset(labels)): value} and {family: type}."""
    values, types = {}, {}
    for fam in text_string_to_metric_families(text):
        types[fam.name] = fam.type
        for s in fam.samples:
            values[(s.name, frozenset(s.labels.items()))] = s.value
    return values, types


def check_content(text):
    values, types = samples(text)
    check(types.get("siplb_backend_state") == "gauge" and
          types.get("siplb_drops") == "counter" and
          types.get("siplb_backend_health_latency_seconds") == "gauge",
          f"types: {types}")
    core21 = {"pool": "core", "backend": "192.0.2.21:5060"}
    check(values.get(("siplb_backend_messages_total", frozenset(core21.items()))) == 22,
          "backend messages")
    check(values.get(("siplb_backend_health_latency_seconds",
                      frozenset(core21.items()))) == 0.0012, "latency")
    for backend, state in (("192.0.2.21:5060", "up"), ("192.0.2.22:5060", "down"),
                           ("[2001:db8::10]:5060", "draining"),
                           ("[2001:db8::11]:5060", "standby")):
        pool = "edge" if backend.startswith("[") else "core"
        hot = {st: values.get(("siplb_backend_state", frozenset(
            {"pool": pool, "backend": backend, "state": st}.items())))
            for st in ("up", "down", "probing", "draining", "disabled", "standby")}
        check(hot[state] == 1 and sum(hot.values()) == 1, f"{backend}: one-hot {hot}")
    check(values.get(("siplb_replies_total", frozenset({"code": "503"}.items()))) == 44,
          "replies 503")
    check(values.get(("siplb_generation", frozenset())) == 7, "generation")
    check(types.get("siplb_health_probe_latency_seconds") == "histogram" and
          values.get(("siplb_health_probe_latency_seconds_count",
                      frozenset(core21.items()))) == 4, "probe latency histogram")
    check(values.get(("siplb_build_info", frozenset({"version": "1.2.3"}.items()))) == 1,
          "build info")
    check(not any("198.51.100.9" in str(k) for k in values), "free ids are not shown")
    return len(values)


def promtool(text):
    """promtool check metrics: its lint problems, none when clean."""
    tool = shutil.which("promtool")
    check(tool, "promtool not found: ./deps.sh installs Debian's prometheus, which has it")
    if not tool:
        return
    p = subprocess.run([tool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(),
          f"promtool check metrics: exit {p.returncode}: {p.stdout}{p.stderr}")


def dashboard(types):
    """Every metric the Grafana dashboard (docs/grafana/siplb.json) queries
    is a family the endpoint serves."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                        "grafana", "siplb.json")
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    names = {re.sub(r"_(bucket|total)$", "", n) for p in dash["panels"]
             for t in p["targets"] for n in re.findall(r"siplb_[a-z0-9_]+", t["expr"])}
    missing = sorted(n for n in names if n not in types)
    check(names and not missing, f"dashboard: {len(dash['panels'])} panels, "
          f"{len(names)} metrics; not served: {missing}")


def main():
    srv = subprocess.Popen([SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(srv.stdout.readline().split()[1])
        url = f"http://127.0.0.1:{port}"
        code, _, body = curl(url + "/metrics")
        check(code == 503 and "no metrics yet" in body, f"before update: {code} {body!r}")
        srv.stdin.write("update\n")
        srv.stdin.flush()
        check(srv.stdout.readline() == "updated\n", "update")
        code, ctype, body = curl(url + "/metrics")
        check(code == 200 and ctype == "text/plain; version=0.0.4; charset=utf-8",
              f"GET: {code} {ctype}")
        n = check_content(body + "\n")
        dashboard(samples(body + "\n")[1])
        promtool(body + "\n")
        code, _, body = curl(url + "/")
        check(code == 404 and "try /metrics" in body, f"404: {code}")
        code, _, body = curl(url + "/metrics", "-X", "POST", "-d", "x=1", "-i")
        check(code == 405 and "GET or HEAD" in body and "\nAllow: GET, HEAD\n" in body,
              f"POST: {code} {body!r}")
        code, _, body = curl(url + "/metrics", "-I")
        check(code == 200 and "siplb_" not in body, f"HEAD: {code}")
        print(f"metrics over HTTP: {n} samples parsed by prometheus_client, {len(FAILURES)} failed")
    finally:
        srv.stdin.close()
        srv.wait(timeout=10)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
