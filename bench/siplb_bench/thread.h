/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker threads, one per core given, pinned to it. */
#ifndef SIPLB_BENCH_THREAD_H
#define SIPLB_BENCH_THREAD_H

#include <pthread.h>

/* Starts fn(arg) on core (-1: anywhere); 0, or an errno value. */
int bench_spawn(pthread_t *tid, int core, void *(*fn)(void *), void *arg);

#endif
