/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The log of siplbd and siplb-dp: one line per event, a level each, the
 * event's context as key=value words (pool=core backend=192.0.2.10:5060
 * reason="3 timeouts").
 *
 * Started by systemd with stderr on the journal (JOURNAL_STREAM names
 * stderr, systemd.exec(5)), lines go to the journal with their syslog
 * priority and the key=value words as fields too (POOL=core), so that
 * `journalctl -p warning` and `journalctl -u siplbd POOL=core` filter them.
 * Otherwise they go to stderr as
 *   2026-05-01T10:00:00.123Z warning siplbd: MESSAGE
 */
#ifndef SIPLB_LOG_H
#define SIPLB_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/* syslog(3)'s priorities, which the journal keeps. */
enum slb_log_level {
	SLB_LOG_ERR = 3,
	SLB_LOG_WARNING = 4,
	SLB_LOG_NOTICE = 5,
	SLB_LOG_INFO = 6,
	SLB_LOG_DEBUG = 7,
};

/* For a usage text. */
#define SLB_LOG_LEVEL_NAMES "error, warning, notice, info, debug"

/* ident: the program's name in each line; lines above level are dropped. */
void slb_log_open(const char *ident, enum slb_log_level level);

/* "error" .. "debug" (SLB_LOG_LEVEL_NAMES) into *level; -1 on another name. */
int slb_log_level_parse(const char *name, enum slb_log_level *level);

const char *slb_log_level_name(enum slb_log_level level);

/* Whether a line of this level is written: to skip building one. */
bool slb_log_enabled(enum slb_log_level level);

void slb_log(enum slb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void slb_vlog(enum slb_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
