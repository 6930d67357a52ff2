/* SPDX-License-Identifier: BSD-3-Clause */
/* The log of siplbd and siplb-dp (include/siplb/log.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION /* the line's place in siplb is no field */
#include <systemd/sd-journal.h>

#include "siplb/log.h"

#define LINE_MAX_BYTES 2048
#define FIELDS_MAX 8 /* key=value words that become journal fields */

static const char *const level_names[] = {
	[SLB_LOG_ERR] = "error",    [SLB_LOG_WARNING] = "warning", [SLB_LOG_NOTICE] = "notice",
	[SLB_LOG_INFO] = "info",    [SLB_LOG_DEBUG] = "debug",
};

static struct {
	const char *ident;
	enum slb_log_level level;
	bool journal;
} log_to = { "siplb", SLB_LOG_INFO, false };

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected to the
 * journal; stderr is that stream unless it was redirected since. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st))
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

void slb_log_open(const char *ident, enum slb_log_level level)
{
	log_to.ident = ident;
	log_to.level = level;
	log_to.journal = stderr_is_journal();
}

int slb_log_level_parse(const char *name, enum slb_log_level *level)
{
	for (int l = SLB_LOG_ERR; l <= SLB_LOG_DEBUG; l++)
		if (!strcmp(name, level_names[l])) {
			*level = (enum slb_log_level)l;
			return 0;
		}
	return -1;
}

const char *slb_log_level_name(enum slb_log_level level)
{
	return level >= SLB_LOG_ERR && level <= SLB_LOG_DEBUG ? level_names[level] : "?";
}

bool slb_log_enabled(enum slb_log_level level)
{
	return level <= log_to.level;
}

/* The next key=value word of *s (key: a-z, 0-9, _; value: up to a space,
 * or "quoted", without its quotes) as the journal field KEY=value in out;
 * 0 when none is left. */
static size_t next_field(const char **s, char *out, size_t len)
{
	for (const char *p = *s; (p = strchr(p, '=')); p++) {
		const char *k = p, *v = p + 1, *end;
		size_t n = 0;

		while (k > *s && (islower((unsigned char)k[-1]) || isdigit((unsigned char)k[-1]) ||
				  k[-1] == '_'))
			k--;
		if (k == p || (k > *s && k[-1] != ' ') || !islower((unsigned char)*k))
			continue;
		bool quoted = *v == '"';

		end = quoted ? strchr(++v, '"') : v + strcspn(v, " ");
		if (!end)
			end = v + strlen(v);
		if ((size_t)(p - k) + (size_t)(end - v) + 2 > len)
			continue;
		while (k < p)
			out[n++] = (char)toupper((unsigned char)*k++);
		n += (size_t)snprintf(out + n, len - n, "=%.*s", (int)(end - v), v);
		*s = end + (quoted && *end);
		return n;
	}
	return 0;
}

/* MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and the line's key=value words. */
static int to_journal(enum slb_log_level level, const char *msg)
{
	char message[LINE_MAX_BYTES + 16], priority[16], ident[64], fields[FIELDS_MAX][256];
	char *head[] = { message, priority, ident };
	struct iovec iov[3 + FIELDS_MAX];
	const char *s = msg;
	size_t n = 0;

	snprintf(message, sizeof(message), "MESSAGE=%s", msg);
	snprintf(priority, sizeof(priority), "PRIORITY=%d", (int)level);
	snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_to.ident);
	for (; n < 3; n++)
		iov[n] = (struct iovec){ head[n], strlen(head[n]) };
	for (size_t f = 0, len; f < FIELDS_MAX && (len = next_field(&s, fields[f], 256)); f++)
		iov[n++] = (struct iovec){ fields[f], len };
	return sd_journal_sendv(iov, (int)n);
}

void slb_vlog(enum slb_log_level level, const char *fmt, va_list ap)
{
	char msg[LINE_MAX_BYTES], stamp[32];
	struct timespec ts;
	struct tm tm;

	if (!slb_log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_to.journal && !to_journal(level, msg))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One write per line: the lcores of siplb-dp log too. */
	fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp, ts.tv_nsec / 1000000,
		slb_log_level_name(level), log_to.ident, msg);
}

void slb_log(enum slb_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	slb_vlog(level, fmt, ap);
	va_end(ap);
}
