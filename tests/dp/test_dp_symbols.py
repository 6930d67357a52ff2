#!/usr/bin/env python3
"""siplb-dp reads what siplbd writes and links none of the writer's code.

usage: test_dp_symbols.py SIPLB_DP

Lists the functions siplb-dp's binary defines (nm) and checks that none is
writer-only (docs/architecture.md): the Maglev table build, the state maps'
creation, publishing, the health prober, the SRV resolver, the DSR
next-hop follower, the control socket, the metrics and the rules' compiler. The health checks'
and SRV pools' settings (slb_*_config_*, slb_health_parse_codes, ...) are
the configuration's, which siplb-dp parses too: they may be there.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import check, exit_status  # noqa: E402

WRITER_ONLY = [
    r"slb_maglev_build",
    r"slb_maps_create",
    r"slb_publish",
    # control/health/health.c, passive.c, probe_io.c: the prober.
    r"slb_health_(now_ns|create|destroy|find|add|remove|status|stray|fds|timeout_ms"
    r"|success|failure|mark_down|process)",
    r"slb_passive_(reset|update)",
    r"slb_probe_\w+",
    # control/health/srv.c, srv_answer.c: the resolver.
    r"slb_srv_(fail|create|destroy|fds|timeout_ms|process|result|counters"
    r"|take_records|add_addresses|build|same|select)",
    r"slb_nexthops_\w+",
    r"slb_rpc_\w+",
    r"slb_metrics_\w+",
    # control/rules/rules_compile.c: the routing rules' Hyperscan compiler
    # (siplb-dp only deserializes what siplbd compiled).
    r"slb_rules_compile\w*",
    # dataplane/lib/scan/sip_scan_hs.c: Hyperscan's header location, for the
    # tests and bench only.
    r"slb_sip_(scan|hs)_hs\w*|slb_sip_hs_\w+",
]


def defined_functions(binary):
    out = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True,
                         check=True).stdout
    return {f[2] for f in (line.split() for line in out.splitlines())
            if len(f) == 3 and f[1] in "Tt"}


def main():
    names = defined_functions(sys.argv[1])
    check("main" in names, "nm lists siplb-dp's functions (%d)" % len(names))
    for pattern in WRITER_ONLY:
        found = sorted(n for n in names if re.fullmatch(pattern, n))
        check(not found, "siplb-dp defines no %s%s" % (pattern, ": " + ", ".join(found)
                                                         if found else ""))
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
