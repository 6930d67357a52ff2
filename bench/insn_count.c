/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instruction counts by single-stepping under ptrace (see insn_count.h).
 *
 * The child: PTRACE_TRACEME, one warm-up call of each function, SIGSTOP,
 * then two brackets, int3 / call / int3, first around an empty function and
 * then around fn. The parent continues the child to each opening int3 and
 * single-steps it from there; each step is one instruction (one iteration of
 * a rep string instruction) and stops with a SIGTRAP whose si_code is
 * TRAP_TRACE, until the closing int3 stops it with si_code SI_KERNEL.
 */
#define _GNU_SOURCE
#include "insn_count.h"

#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __x86_64__
#error "insn_count.c single-steps x86-64 (int3 brackets)"
#endif

/* The child's exit status when PTRACE_TRACEME is refused. */
#define NO_PTRACE_EXIT 77

/* Read through volatile so the compiler cannot specialise the bracket for
 * the empty function (no constant propagation, no inlining): both brackets
 * run the very same instructions around the call. */
static void (*volatile bracket_fn)(void *);
static void *volatile bracket_arg;

static void empty_fn(void *arg)
{
	(void)arg;
}

static __attribute__((noinline)) void run_bracketed(void (*fn)(void *), void *arg)
{
	bracket_fn = fn;
	bracket_arg = arg;
	__asm__ volatile("int3" ::: "memory");
	bracket_fn(bracket_arg);
	__asm__ volatile("int3" ::: "memory");
}

static __attribute__((noreturn)) void child(void (*fn)(void *), void *arg)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(NO_PTRACE_EXIT);
	empty_fn(arg);
	fn(arg);
	raise(SIGSTOP);
	run_bracketed(empty_fn, arg);
	run_bracketed(fn, arg);
	_exit(0);
}

/* si_code of the child's SIGTRAP stop, or -1 for any other stop or exit. */
static int trap_code(pid_t pid)
{
	siginfo_t si;
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
		return -1;
	if (ptrace(PTRACE_GETSIGINFO, pid, NULL, &si))
		return -1;
	return si.si_code;
}

/* The program's first byte, its ELF header (GNU ld, gold and lld define
 * it), at the same address in the forked child. */
extern const char __executable_start[];

unsigned long long slb_insn_program_offset(uintptr_t addr)
{
	const Elf64_Ehdr *eh = (const void *)__executable_start;

	return addr - (eh->e_type == ET_DYN ? (uintptr_t)__executable_start : 0);
}

/* Where the stopped child is, as addr2line reads the program. */
static int where(pid_t pid, unsigned long long *at)
{
	struct user_regs_struct regs;

	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs))
		return -errno;
	*at = slb_insn_program_offset(regs.rip);
	return 0;
}

/* From a stop at an opening int3: the instructions up to the closing one,
 * each written to out unless it is NULL (once it ran: not the int3). */
static long step_to_int3(pid_t pid, FILE *out)
{
	long n = 0;

	for (;;) {
		unsigned long long at = 0;
		int code, r;

		if (out && (r = where(pid, &at)) < 0)
			return r;
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL))
			return -errno;
		code = trap_code(pid);
		if (code == SI_KERNEL)
			return n;
		if (code != TRAP_TRACE)
			return -EPROTO;
		if (out)
			fprintf(out, "%llx\n", at);
		if (++n > SLB_INSN_COUNT_MAX_STEPS)
			return -E2BIG;
	}
}

/* Both brackets' counts from a child stopped by its SIGSTOP; the second's
 * instructions written to out unless it is NULL. */
static long trace(pid_t pid, long counts[2], FILE *out)
{
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_EXITKILL))
		return -errno;
	for (int b = 0; b < 2; b++) {
		/* data 0: the SIGSTOP, then each closing int3's SIGTRAP, is not
		 * delivered to the child */
		if (ptrace(PTRACE_CONT, pid, NULL, NULL))
			return -errno;
		if (trap_code(pid) != SI_KERNEL)
			return -EPROTO;
		counts[b] = step_to_int3(pid, b == 1 ? out : NULL);
		if (counts[b] < 0)
			return counts[b];
	}
	return 0;
}

long slb_insn_trace(void (*fn)(void *), void *arg, long *bracket, FILE *out)
{
	long counts[2], r;
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		child(fn, arg);
	if (waitpid(pid, &st, 0) != pid)
		r = -errno;
	else if (WIFEXITED(st) && WEXITSTATUS(st) == NO_PTRACE_EXIT)
		return -EPERM; /* already reaped */
	else if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
		r = -EPROTO;
	else
		r = trace(pid, counts, out);
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return r;
	if (bracket)
		*bracket = counts[0];
	return counts[1] - counts[0];
}

long slb_insn_count(void (*fn)(void *), void *arg, long *bracket)
{
	return slb_insn_trace(fn, arg, bracket, NULL);
}

const char *slb_insn_count_strerror(long err)
{
	if (err == -EPERM)
		return "ptrace not permitted (PTRACE_TRACEME refused: Yama "
		       "kernel.yama.ptrace_scope, a container without CAP_SYS_PTRACE, "
		       "a seccomp filter, or already traced: a debugger, strace -f)";
	if (err == -E2BIG)
		return "more instructions than SLB_INSN_COUNT_MAX_STEPS";
	if (err == -EPROTO)
		return "the traced child stopped or died outside its int3 brackets";
	return strerror((int)-err);
}
