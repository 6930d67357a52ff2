/* SPDX-License-Identifier: BSD-3-Clause */
/* The uac's main thread: a run at a rate (or ramp), or --find-max's steps. */
#ifndef SIPLB_BENCH_RUN_H
#define SIPLB_BENCH_RUN_H

#include "opts.h"

/* Exit status: 0 when every scenario completed (find-max: a rate passed),
 * 1 otherwise. */
int uac_run(const struct bench_opts *o);

#endif
