#!/bin/sh
# One line on the machine a timed figure comes from, for bench/RESULTS.md:
# the CPU's name, family and model (a VM's name may say only "AMD EPYC";
# family 25 model 17 is Zen 4, family 26 is Zen 5, whose figures differ),
# the CPUs online, the kernel, and how the kernel guards returns
# (spec_rstack_overflow "Safe RET": every kernel and BPF return goes through
# a thunk, which costs a BPF program about 7 ns a call; bench/RESULTS.md,
# "Target 4: one call for the search").
cpu() {  # the first value of /proc/cpuinfo's field $1
    awk -F': *' -v k="$1" '$1 ~ "^" k "[ \t]*$" { print $2; exit }' /proc/cpuinfo
}
srso=/sys/devices/system/cpu/vulnerabilities/spec_rstack_overflow
printf 'machine: %s (family %s model %s), %s CPUs online, kernel %s, spec_rstack_overflow: %s\n' \
    "$(cpu 'model name')" "$(cpu 'cpu family')" "$(cpu model)" "$(getconf _NPROCESSORS_ONLN)" "$(uname -r)" \
    "$(cat "$srso" 2>/dev/null || echo unknown)"
