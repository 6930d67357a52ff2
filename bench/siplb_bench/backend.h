/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The roles behind the load balancer: uas (answers) and sink (counts only).
 * Threads share one port through SO_REUSEPORT, several sockets each; every
 * request's method and Call-ID hash is recorded, and at the end a summary
 * file (summary.h) says what this backend saw, for the uac's report.
 */
#ifndef SIPLB_BENCH_BACKEND_H
#define SIPLB_BENCH_BACKEND_H

#include "opts.h"

/* Runs until SIGINT/SIGTERM, --idle-exit or --max-time; exit status. */
int backend_run(const struct bench_opts *o);

#endif
