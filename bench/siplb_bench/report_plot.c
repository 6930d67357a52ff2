/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --plot DIR: the timeline as data files and PNG charts made by gnuplot
 * (Debian's gnuplot-nox): rate.png (target, offered, achieved), loss.png
 * (loss, retransmissions, failed), latency.png (p50, p99), backends.png
 * (each backend's share of calls and requests).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "report.h"

extern char **environ;

static FILE *open_in(const char *dir, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", dir, name);
	return fopen(path, "w");
}

static int write_timeline(const struct run_result *r, const char *dir)
{
	char path[4096];
	FILE *f = open_in(dir, "timeline.dat", path, sizeof(path));

	if (!f)
		return -1;
	fprintf(f, "# t target offered achieved loss retrans failed p50_ms p99_ms calls_up\n");
	for (size_t i = 0; i < r->nsamples; i++) {
		const struct sample *s = &r->samples[i];

		fprintf(f, "%.2f %.1f %.1f %.1f %.6f %llu %llu %.3f %.3f %llu\n", s->t, s->target,
			s->offered, s->achieved, 100 * s->loss, s->retrans, s->failed, s->p50_ms,
			s->p99_ms, s->up);
	}
	return fclose(f);
}

static int write_backends(const struct run_result *r, const char *dir)
{
	char path[4096];
	FILE *f = open_in(dir, "backends.dat", path, sizeof(path));
	double calls = 0, reqs = 0;

	if (!f)
		return -1;
	for (int i = 0; i < r->nviews; i++) {
		calls += (double)summary_int(&r->views[i], NULL, "calls");
		reqs += (double)summary_int(&r->views[i], "counters", "requests");
	}
	fprintf(f, "# backend calls_share_pct requests_share_pct\n");
	for (int i = 0; i < r->nviews; i++)
		fprintf(f, "\"%s\" %.2f %.2f\n", summary_name(&r->views[i]),
			calls ? 100 * (double)summary_int(&r->views[i], NULL, "calls") / calls : 0,
			reqs ? 100 * (double)summary_int(&r->views[i], "counters", "requests") / reqs
			     : 0);
	return fclose(f);
}

static const char script[] =
	"set terminal pngcairo size 900,420 noenhanced\n"
	"set grid\nset key outside right top\nset xlabel 'seconds'\n"
	"set output 'rate.png'\nset title 'scenarios per second'\nset yrange [0:*]\n"
	"plot 'timeline.dat' u 1:2 w l lw 2 t 'target', '' u 1:3 w l t 'offered', "
	"'' u 1:4 w l t 'achieved'\n"
	"set output 'loss.png'\nset title 'loss (% of transactions) and retransmissions'\n"
	"set ytics nomirror\nset y2tics\nset yrange [0:1<*]\nset y2range [0:1<*]\n"
	"plot 'timeline.dat' u 1:5 w l t 'loss %', '' u 1:6 axes x1y2 w l t 'retrans/s', "
	"'' u 1:7 axes x1y2 w l t 'failed/s'\n"
	"unset y2tics\nset ytics mirror\nset yrange [*:*]\n"
	"set output 'latency.png'\nset title 'latency (ms)'\n"
	"plot 'timeline.dat' u 1:8 w l t 'p50', '' u 1:9 w l t 'p99'\n";

static const char backends_script[] =
	"set output 'backends.png'\nset title 'share per backend (%)'\nunset xlabel\n"
	"set style data histograms\nset style fill solid 0.8\nset yrange [0:*]\n"
	"plot 'backends.dat' u 2:xtic(1) t 'calls', '' u 3 t 'requests'\n";

static int write_script(const struct run_result *r, const char *dir)
{
	char path[4096];
	FILE *f = open_in(dir, "charts.gp", path, sizeof(path));

	if (!f)
		return -1;
	fputs(script, f);
	if (r->nviews)
		fputs(backends_script, f);
	return fclose(f);
}

/* gnuplot charts.gp, run in dir. */
static int run_gnuplot(const char *dir)
{
	char *argv[] = { "gnuplot", "charts.gp", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	/* its warnings (an empty range: no loss) in a file, not in the report */
	posix_spawn_file_actions_addopen(&fa, 2, "gnuplot.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

int report_plot(const struct run_result *r, const char *dir)
{
	if ((mkdir(dir, 0755) && errno != EEXIST) || write_timeline(r, dir) ||
	    write_backends(r, dir) || write_script(r, dir)) {
		fprintf(stderr, "siplb-bench: --plot %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (run_gnuplot(dir)) {
		fprintf(stderr, "siplb-bench: --plot %s: gnuplot failed (is gnuplot-nox "
				"installed? see gnuplot.log there)\n", dir);
		return -1;
	}
	return 0;
}
