/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instruction counts by single-stepping under ptrace: the real instructions
 * on the real CPU, so code valgrind cannot execute (AVX-512) can be counted
 * too. Linux on x86-64 only; slow (a trap and two context switches per
 * instruction: about 20 µs each on the VM of bench/RESULTS.md), meant for
 * functions of up to some 10^5 instructions.
 *
 * What counts: every instruction retired between two int3 brackets; a
 * rep-prefixed string instruction once per iteration (the single-step trap
 * comes after each one), once when its count register is 0. Callgrind counts
 * such an instruction once more when it iterates at all (n + 1 for n >= 1
 * iterations: VEX runs one iteration per pass and a last pass that finds
 * rcx == 0), so where code runs rep movs/stos the two differ by one per
 * execution (measured with rep stosb, bench/RESULTS.md). Everything else
 * counts the same, one per instruction.
 */
#ifndef SLB_INSN_COUNT_H
#define SLB_INSN_COUNT_H

#include <stdint.h>
#include <stdio.h>

/* The most instructions one count single-steps before giving up (-E2BIG). */
#define SLB_INSN_COUNT_MAX_STEPS 50000000L

/*
 * Instructions fn(arg) executes, less those of an empty function called the
 * same way (the bracket: the indirect call, the return, the empty body), both
 * counted in one forked child after one untimed call of each, so lazy PLT
 * binding and first-touch work are not in the figure. fn runs in the child:
 * its side effects do not reach the caller. *bracket (may be NULL) gets the
 * empty function's count.
 *
 * Returns the count (>= 0), or a negative errno: -EPERM when this process may
 * not be traced (no CAP_SYS_PTRACE in a container, Yama ptrace_scope 3, a
 * seccomp filter, already traced by a debugger or strace -f), -E2BIG past
 * SLB_INSN_COUNT_MAX_STEPS, -EPROTO when the child stopped or died other than
 * at its brackets (fn crashed or raised a signal).
 */
long slb_insn_count(void (*fn)(void *), void *arg, long *bracket);

/*
 * slb_insn_count(), and each instruction fn's bracket executes written to
 * out as its address in the program (less the load address in a PIE), one
 * hexadecimal number a line: what `addr2line -f -i -e PROGRAM` takes,
 * for a split of the count by function, inlined ones included
 * (bench/scan_insns_split.sh). Code outside the program (libc) gives
 * numbers addr2line does not know.
 */
long slb_insn_trace(void (*fn)(void *), void *arg, long *bracket, FILE *out);

/* addr (in this program) as slb_insn_trace() writes it and addr2line reads
 * it: the offset from the load address in a PIE (ET_DYN), else itself. */
unsigned long long slb_insn_program_offset(uintptr_t addr);

/* Why slb_insn_count() failed, for a message: the errno's text, or for
 * -EPERM what to change. */
const char *slb_insn_count_strerror(long err);

#endif
