/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the health and SRV tests share: CHECK, the clock, free loopback
 * ports, child processes (SIPp, unbound) that are killed by PID when the
 * test ends, also on a failed CHECK or a signal (meson's timeout), and die
 * with it if it is killed outright (PR_SET_PDEATHSIG).
 */
#ifndef SIPLB_TESTS_HEALTH_HARNESS_H
#define SIPLB_TESTS_HEALTH_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A failed check ends the test: its children go with it (below). */
#define CHECK_FAILED exit(1)
#include "../check.h"

#define MSEC 1000000ull

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The shorter of a poll timeout (-1: none) and the time to deadline_ns. */
static inline int poll_ms(int a, uint64_t deadline_ns)
{
	uint64_t now = now_ns();
	int b = deadline_ns <= now ? 0 : (int)((deadline_ns - now + MSEC - 1) / MSEC);

	return a < 0 || b < a ? b : a;
}

/* A sockaddr for host ("127.0.0.1" or "::1") and port. */
static inline socklen_t sockaddr_of(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, host, &s6->sin6_addr);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	inet_pton(AF_INET, host, &s4->sin_addr);
	return sizeof(*s4);
}

/* A UDP socket bound to host:port (0: any free port); -1 if taken. */
static inline int udp_bind(const char *host, uint16_t port, uint16_t *bound)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(host, port, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	if (bound)
		*bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* A port nobody listens on now (the kernel's pick; free a moment later). */
static inline uint16_t free_port(const char *host)
{
	uint16_t port = 0;
	int fd = udp_bind(host, 0, &port);

	CHECK(fd >= 0, "no free UDP port on %s", host);
	close(fd);
	return port;
}

/* Waits up to ms for someone to bind host:port (binding it fails). */
static inline bool wait_bound(const char *host, uint16_t port, unsigned ms)
{
	for (uint64_t end = now_ns() + ms * MSEC; now_ns() < end; sleep_ms(20)) {
		int fd = udp_bind(host, port, NULL);

		if (fd < 0)
			return true;
		close(fd);
	}
	return false;
}

/* ---- children ------------------------------------------------------------ */

#define MAX_CHILDREN 16
static pid_t children[MAX_CHILDREN];

static inline void child_stop(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == pid)
			children[i] = 0;
	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) { /* 2 s for a clean exit */
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static inline void children_stop(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0)
			child_stop(children[i]);
}

static inline void on_fatal_signal(int sig)
{
	children_stop();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Call first: children are stopped at exit, on SIGTERM/SIGINT, and when a
 * sanitizer aborts the test. */
static inline void children_init(void)
{
	atexit(children_stop);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGINT, on_fatal_signal);
	signal(SIGABRT, on_fatal_signal);
}

/* Starts argv with stdout and stderr into log; returns its PID. */
static inline pid_t child_start(char *const argv[], const char *log)
{
	int slot = -1;
	pid_t pid;

	for (int i = 0; i < MAX_CHILDREN && slot < 0; i++)
		if (!children[i])
			slot = i;
	CHECK(slot >= 0, "more than %d children", MAX_CHILDREN);
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	children[slot] = pid;
	return pid;
}

#endif
