/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Properties of the weighted Maglev builder (control/maglev.c):
 *   - each backend's share of the slots follows its weight,
 *   - removing a backend moves its slots, spread over the others by weight,
 *     and hardly any other slot,
 *   - adding a backend moves about its own share of the slots,
 *   - both hold at every seed of a sweep (seeds 0..SWEEP_SEEDS-1), not at one
 *     lucky seed: the linear offset + j * skip walks failed 5 of 1000 spread
 *     cases over seeds 0..99 (41 of 5000 over 0..499, worst seed 268),
 *   - the table is a pure function of (keys, weights, size, seed),
 *   - bad input is rejected with a reason.
 * Every check prints the figure it measured.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/maglev.h"
#include "../check.h"

#define SIZE SLB_MAGLEV_DEFAULT_SIZE
#define BIG_SIZE 655373u
#define SEED 0x5349504c42ULL
#define MAXB 16

/* Share tolerance (percentage points) for a whole table. */
#define SHARE_TOL_PT 1.0
/* Other backends' slots allowed to move on removal (% of their slots). */
#define OTHERS_MOVED_TOL_PCT 1.0
/*
 * Spread of a removed backend's slots over the survivors: each survivor's
 * share of the moved slots is compared with its weight share among them.
 * The moved slots are a sample of a few hundred to a few ten thousand slots,
 * so the tolerance is 3 points, widened to 4 binomial standard deviations
 * when the removed backend held too few slots for 3 points to be beyond
 * sampling noise (the lightest backend here holds ~880 slots: 4 sigma for a
 * 27% survivor is 6 points). Modulo hashing with next-entry failover would
 * be off by 70-100 points for one neighbour.
 */
#define SPREAD_TOL_PT 3.0

static char keys[MAXB][32];

struct set {
	struct slb_maglev_backend b[MAXB];
	size_t n;
};

static void add(struct set *s, uint32_t id, uint32_t weight)
{
	struct slb_maglev_backend *b = &s->b[s->n++];

	snprintf(keys[id % MAXB], sizeof(keys[0]), "192.0.2.%u:5060", 10 + id);
	b->id = id;
	b->weight = weight;
	b->key = keys[id % MAXB];
	b->key_len = strlen(b->key);
}

static void without(const struct set *in, uint32_t id, struct set *out)
{
	out->n = 0;
	for (size_t i = 0; i < in->n; i++)
		if (in->b[i].id != id)
			out->b[out->n++] = in->b[i];
}

static uint32_t *build(const struct set *s, uint32_t size, uint64_t seed)
{
	uint32_t *t = malloc(size * sizeof(*t));
	char err[256] = "";

	if (!t) {
		perror("malloc");
		exit(2);
	}
	if (slb_maglev_build(s->b, s->n, size, seed, t, err, sizeof(err))) {
		printf("slb_maglev_build failed: %s FAIL\n", err);
		exit(1);
	}
	return t;
}

static uint64_t weight_sum(const struct set *s)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += s->b[i].weight;
	return sum;
}

/* Slot counts per backend id (ids are < MAXB); EMPTY and strays counted apart. */
static void count(const uint32_t *t, uint32_t size, uint32_t *per_id, uint32_t *other)
{
	memset(per_id, 0, MAXB * sizeof(*per_id));
	*other = 0;
	for (uint32_t s = 0; s < size; s++) {
		if (t[s] < MAXB)
			per_id[t[s]]++;
		else
			(*other)++;
	}
}

static double pct(double a, double b)
{
	return b ? 100.0 * a / b : 0.0;
}

static double absd(double x)
{
	return x < 0 ? -x : x;
}

/* Newton's method: avoids linking libm for one square root. */
static double sqrt_approx(double x)
{
	double r = x > 1 ? x : 1;

	if (x <= 0)
		return 0;
	for (int i = 0; i < 60; i++)
		r = 0.5 * (r + x / r);
	return r;
}

static void check_shares(const struct set *s, uint32_t size, uint64_t seed, const char *label)
{
	uint32_t *t = build(s, size, seed);
	uint32_t per_id[MAXB], other;
	uint64_t sum = weight_sum(s);
	double worst = 0;

	printf("-- shares, %s, table %u, %zu backends, weight sum %llu\n", label, size,
	       s->n, (unsigned long long)sum);
	count(t, size, per_id, &other);
	CHECK_SHOW(other == 0, "slots outside the backend set: %u", other);
	for (size_t i = 0; i < s->n; i++) {
		const struct slb_maglev_backend *b = &s->b[i];
		double got = pct(per_id[b->id], size), want = pct(b->weight, (double)sum);
		double d = absd(got - want);

		if (d > worst)
			worst = d;
		CHECK_SHOW(d <= SHARE_TOL_PT,
		           "share of backend %u (weight %u): %6.2f%% vs weight share %6.2f%% "
		           "(|diff| %.2f pt <= %.0f pt)", b->id, b->weight, got, want, d, SHARE_TOL_PT);
	}
	printf("   worst |diff| %.3f pt\n", worst);
	free(t);
}

/* What removing one backend did to the table (measure_removal). */
struct removal {
	uint32_t gone_weight, gone_slots;
	uint32_t to_gone, to_empty;     /* its slots still its own, left empty */
	uint32_t others, others_moved;  /* the other backends' slots; how many moved */
	uint32_t to[MAXB];              /* its slots by heir */
	double worst, tol;              /* spread: worst |diff| (pt), its tolerance */
	uint32_t worst_id, top_id, top; /* heir with the worst |diff|; largest heir */
};

/* Removes backend gone from the set that built t (at seed) and compares. */
static void measure_removal(const struct set *all, const uint32_t *t, uint32_t gone,
			    uint64_t seed, struct set *rest, struct removal *r)
{
	uint32_t *t2;
	uint64_t rest_sum;

	memset(r, 0, sizeof(*r));
	without(all, gone, rest);
	t2 = build(rest, SIZE, seed);
	rest_sum = weight_sum(rest);
	for (size_t i = 0; i < all->n; i++)
		if (all->b[i].id == gone)
			r->gone_weight = all->b[i].weight;
	for (uint32_t s = 0; s < SIZE; s++) {
		if (t[s] == gone) {
			r->gone_slots++;
			if (t2[s] == gone)
				r->to_gone++;
			else if (t2[s] >= MAXB)
				r->to_empty++;
			else
				r->to[t2[s]]++;
		} else {
			r->others++;
			if (t2[s] != t[s])
				r->others_moved++;
		}
	}
	r->tol = SPREAD_TOL_PT;
	for (size_t i = 0; i < rest->n; i++) {
		const struct slb_maglev_backend *b = &rest->b[i];
		double p = (double)b->weight / (double)rest_sum;
		double sigma4 = 4 * 100.0 * sqrt_approx(p * (1 - p) /
						       (r->gone_slots ? r->gone_slots : 1));
		double d = absd(pct(r->to[b->id], r->gone_slots) - 100.0 * p);

		if (sigma4 > r->tol)
			r->tol = sigma4;
		if (d > r->worst) {
			r->worst = d;
			r->worst_id = b->id;
		}
		if (r->to[b->id] > r->top) {
			r->top = r->to[b->id];
			r->top_id = b->id;
		}
	}
	free(t2);
}

static void check_removal(const struct set *all, uint32_t gone, int verbose)
{
	uint32_t *t = build(all, SIZE, SEED);
	struct set rest;
	struct removal r;
	uint64_t rest_sum;

	measure_removal(all, t, gone, SEED, &rest, &r);
	rest_sum = weight_sum(&rest);
	printf("-- remove backend %u (weight %u, %u slots = %.2f%%); survivors' tolerance %.1f pt\n",
	       gone, r.gone_weight, r.gone_slots, pct(r.gone_slots, SIZE), r.tol);
	CHECK_SHOW(r.to_gone == 0 && r.to_empty == 0,
	           "   its slots all reassigned: %u still its own, %u empty", r.to_gone, r.to_empty);
	CHECK_SHOW(pct(r.others_moved, r.others) <= OTHERS_MOVED_TOL_PCT,
	           "   other backends' slots moved: %u of %u = %.3f%% (<= %.0f%%)", r.others_moved,
	           r.others, pct(r.others_moved, r.others), OTHERS_MOVED_TOL_PCT);
	for (size_t i = 0; i < rest.n; i++) {
		const struct slb_maglev_backend *b = &rest.b[i];
		double got = pct(r.to[b->id], r.gone_slots), want = pct(b->weight, (double)rest_sum);
		double d = absd(got - want);

		if (verbose || d > r.tol)
			CHECK_SHOW(d <= r.tol,
			           "   backend %u (weight %u) took %5u of its slots = %6.2f%% vs weight "
			           "share among the %zu %6.2f%% (|diff| %.2f pt <= %.1f pt)", b->id,
			           b->weight, r.to[b->id], got, rest.n, want, d, r.tol);
	}
	CHECK_SHOW(r.worst <= r.tol && r.top < r.gone_slots,
	           "   spread: worst |diff| %.2f pt <= %.1f pt; largest heir backend %u with %.2f%% "
	           "(modulo + next-entry failover: one neighbour 100%%)", r.worst, r.tol, r.top_id,
	           pct(r.top, r.gone_slots));
	free(t);
}

#define NEW_ID 11u

/* What adding an 11th backend of the average weight did to the table. */
struct addition {
	uint32_t weight, moved, to_new, elsewhere;
	double new_share;
};

/* Adds backend NEW_ID to the set that built t (at seed) and compares. */
static void measure_addition(const struct set *ten, const uint32_t *t, uint64_t seed,
			     struct addition *a)
{
	struct set eleven = *ten;
	uint64_t sum = weight_sum(ten);
	uint32_t *t2;

	memset(a, 0, sizeof(*a));
	a->weight = (uint32_t)((sum + ten->n / 2) / ten->n); /* an average backend */
	add(&eleven, NEW_ID, a->weight);
	t2 = build(&eleven, SIZE, seed);
	a->new_share = pct(a->weight, (double)(sum + a->weight));
	for (uint32_t s = 0; s < SIZE; s++) {
		if (t2[s] == t[s])
			continue;
		a->moved++;
		if (t2[s] == NEW_ID)
			a->to_new++;
		else
			a->elsewhere++;
	}
	free(t2);
}

static void check_addition(const struct set *ten)
{
	uint32_t *t = build(ten, SIZE, SEED);
	double bound = 100.0 / 11 + 1.0;
	struct addition a;

	measure_addition(ten, t, SEED, &a);
	printf("-- add backend %u with the average weight %u (weight share %.2f%%)\n", NEW_ID,
	       a.weight, a.new_share);
	CHECK_SHOW(pct(a.moved, SIZE) <= bound,
	           "   slots moved: %u of %u = %.3f%% (<= 1/11 + 1%% = %.3f%%)", a.moved, SIZE,
	           pct(a.moved, SIZE), bound);
	CHECK_SHOW(pct(a.moved, SIZE) <= a.new_share + 1.0,
	           "   slots moved %.3f%% vs the newcomer's weight share %.2f%% (<= +1 pt)",
	           pct(a.moved, SIZE), a.new_share);
	CHECK_SHOW(pct(a.elsewhere, SIZE) <= 1.0,
	           "   moved between old backends: %u = %.3f%% of all slots (<= 1%%); to the newcomer %u",
	           a.elsewhere, pct(a.elsewhere, SIZE), a.to_new);
	free(t);
}

/*
 * The sweep: the removal and addition bounds must hold at every seed, not at
 * one lucky one. Seeds 0..SWEEP_SEEDS-1, every single removal, one addition.
 */
#ifndef SWEEP_SEEDS
#define SWEEP_SEEDS 100
#endif

/* The worst case of one figure over the sweep, and where it occurred. */
struct worst {
	double v, sum;            /* the worst figure, and the sum for the mean */
	double got, want, tol;    /* context for the report */
	uint64_t seed;
	uint32_t id, heir;
	int cases, bad;
};

static void note(struct worst *w, double v, int ok, uint64_t seed, uint32_t id)
{
	w->cases++;
	w->bad += !ok;
	w->sum += v;
	if (v <= w->v && w->cases > 1)
		return;
	w->v = v;
	w->seed = seed;
	w->id = id;
}

/* Slot counts follow the weights to within the credit rounds' rounding:
 * |slots - size*w/sum| < 1 + n*w/sum (one turn, plus the last partial round). */
static void sweep_shares(const struct set *s, const uint32_t *t, uint64_t seed,
			 struct worst *w)
{
	uint32_t per_id[MAXB], other;
	uint64_t sum = weight_sum(s);

	count(t, SIZE, per_id, &other);
	CHECK(other == 0, "   seed %llu: %u slots outside the backend set",
	      (unsigned long long)seed, other);
	for (size_t i = 0; i < s->n; i++) {
		const struct slb_maglev_backend *b = &s->b[i];
		double want = (double)SIZE * b->weight / (double)sum;
		double bound = 1.0 + (double)s->n * b->weight / (double)sum;
		double d = absd(per_id[b->id] - want);

		CHECK(d < bound, "   seed %llu: backend %u holds %u slots vs %.1f (|diff| %.2f "
		      "< %.2f)", (unsigned long long)seed, b->id, per_id[b->id], want, d, bound);
		note(w, d, d < bound, seed, b->id);
	}
}

/* Weight share (%) of backend id within set s. */
static double weight_share(const struct set *s, uint32_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->b[i].id == id)
			return pct(s->b[i].weight, (double)weight_sum(s));
	return 0;
}

static void sweep_removal(const struct set *ten, const uint32_t *t, uint32_t gone,
			  uint64_t seed, struct worst *moved, struct worst *spread)
{
	struct set rest;
	struct removal r;
	double m, got, want;
	int ok;

	measure_removal(ten, t, gone, seed, &rest, &r);
	m = pct(r.others_moved, r.others);
	ok = m <= OTHERS_MOVED_TOL_PCT && r.to_gone == 0 && r.to_empty == 0;
	CHECK(ok, "   seed %llu, remove %u: other backends' slots moved %.3f%% (<= %.0f%%), "
	      "%u of its slots still its own, %u empty", (unsigned long long)seed, gone, m,
	      OTHERS_MOVED_TOL_PCT, r.to_gone, r.to_empty);
	note(moved, m, ok, seed, gone);

	got = pct(r.to[r.worst_id], r.gone_slots);
	want = weight_share(&rest, r.worst_id);
	ok = r.worst <= r.tol;
	CHECK(ok, "   seed %llu, remove %u: backend %u took %.2f%% of its slots vs weight "
	      "share %.2f%% (|diff| %.2f pt <= %.1f pt)", (unsigned long long)seed, gone,
	      r.worst_id, got, want, r.worst, r.tol);
	if (r.worst > spread->v || spread->cases == 0) {
		spread->got = got;
		spread->want = want;
		spread->tol = r.tol;
		spread->heir = r.worst_id;
	}
	note(spread, r.worst, ok, seed, gone);
}

static void sweep_addition(const struct set *ten, const uint32_t *t, uint64_t seed,
			   struct worst *added, struct worst *between)
{
	double bound = 100.0 / 11 + 1.0;
	struct addition a;
	double m, e;

	measure_addition(ten, t, seed, &a);
	m = pct(a.moved, SIZE);
	e = pct(a.elsewhere, SIZE);
	CHECK(m <= bound, "   seed %llu, add backend %u: slots moved %.3f%% (<= %.3f%%)",
	      (unsigned long long)seed, NEW_ID, m, bound);
	note(added, m, m <= bound, seed, NEW_ID);
	CHECK(e <= 1.0, "   seed %llu, add backend %u: moved between old backends %.3f%% "
	      "(<= 1%%)", (unsigned long long)seed, NEW_ID, e);
	note(between, e, e <= 1.0, seed, NEW_ID);
}

static void check_sweep(const struct set *ten)
{
	struct worst share = {0}, moved = {0}, spread = {0}, added = {0}, between = {0};

	printf("-- sweep: seeds 0..%d, table %u: every single removal, and adding backend %u "
	       "(average weight)\n", SWEEP_SEEDS - 1, SIZE, NEW_ID);
	for (uint64_t seed = 0; seed < SWEEP_SEEDS; seed++) {
		uint32_t *t = build(ten, SIZE, seed);

		sweep_shares(ten, t, seed, &share);
		for (size_t i = 0; i < ten->n; i++)
			sweep_removal(ten, t, ten->b[i].id, seed, &moved, &spread);
		sweep_addition(ten, t, seed, &added, &between);
		free(t);
	}
	CHECK_SHOW(share.bad == 0, "   shares: worst |slots - size*w/sum| %.2f slots (seed %llu, "
	           "backend %u), mean %.2f; %d of %d over 1 + n*w/sum", share.v,
	           (unsigned long long)share.seed, share.id, share.sum / share.cases, share.bad,
	           share.cases);
	CHECK_SHOW(moved.bad == 0, "   removal, other backends' slots moved: worst %.3f%% (seed %llu, "
	           "removing %u), mean %.3f%%; %d of %d cases over %.0f%%", moved.v,
	           (unsigned long long)moved.seed, moved.id, moved.sum / moved.cases, moved.bad,
	           moved.cases, OTHERS_MOVED_TOL_PCT);
	CHECK_SHOW(spread.bad == 0, "   removal, spread: worst |diff| %.2f pt (seed %llu, removing %u: "
	           "backend %u took %.2f%% vs weight share %.2f%%, tolerance %.1f pt), mean %.2f pt; "
	           "%d of %d cases over tolerance", spread.v, (unsigned long long)spread.seed,
	           spread.id, spread.heir, spread.got, spread.want, spread.tol,
	           spread.sum / spread.cases, spread.bad, spread.cases);
	CHECK_SHOW(added.bad == 0, "   addition, slots moved: worst %.3f%% (seed %llu), mean %.3f%%; "
	           "%d of %d over 1/11 + 1%% = %.3f%%", added.v, (unsigned long long)added.seed,
	           added.sum / added.cases, added.bad, added.cases, 100.0 / 11 + 1.0);
	CHECK_SHOW(between.bad == 0, "   addition, moved between old backends: worst %.3f%% (seed "
	           "%llu), mean %.3f%%; %d of %d over 1%%", between.v,
	           (unsigned long long)between.seed, between.sum / between.cases, between.bad,
	           between.cases);
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static void check_pure(const struct set *ten)
{
	uint32_t *t = build(ten, SIZE, SEED), *t2 = build(ten, SIZE, SEED), *t3;
	int shuffles = 50, same_shuffled = 0;
	uint32_t differ = 0;

	printf("-- pure function\n");
	CHECK_SHOW(memcmp(t, t2, SIZE * sizeof(*t)) == 0, "   built twice: identical tables");
	free(t2);
	for (int k = 0; k < shuffles; k++) {
		struct set sh = *ten;

		if (k == 0) { /* reversed */
			for (size_t i = 0; i < sh.n; i++)
				sh.b[i] = ten->b[ten->n - 1 - i];
		} else {
			for (size_t i = sh.n - 1; i > 0; i--) {
				size_t j = next_rand() % (i + 1);
				struct slb_maglev_backend x = sh.b[i];

				sh.b[i] = sh.b[j];
				sh.b[j] = x;
			}
		}
		t2 = build(&sh, SIZE, SEED);
		same_shuffled += memcmp(t, t2, SIZE * sizeof(*t)) == 0;
		free(t2);
	}
	CHECK_SHOW(same_shuffled == shuffles, "   shuffled input order (reversed + %d random): %d of %d "
	           "identical", shuffles - 1, same_shuffled, shuffles);
	t3 = build(ten, SIZE, SEED + 1);
	for (uint32_t s = 0; s < SIZE; s++)
		differ += t3[s] != t[s];
	CHECK_SHOW(differ > 0, "   different seed: %u of %u slots differ (%.2f%%)", differ, SIZE,
	           pct(differ, SIZE));
	free(t3);
	free(t);
}

static int expect_reject(const struct slb_maglev_backend *b, size_t n, uint32_t size,
			 const char *what)
{
	uint32_t *t = malloc((size ? size : 1) * sizeof(*t));
	char err[256];
	int rc;

	if (!t)
		exit(2);
	strcpy(err, "");
	rc = slb_maglev_build(b, n, size, SEED, t, err, sizeof(err));
	CHECK_SHOW(rc == -1 && err[0] != '\0', "   %s: rc %d, error \"%s\"", what, rc, err);
	free(t);
	return rc;
}

static void check_edges(const struct set *ten)
{
	struct set s = *ten, nine;
	uint32_t *t, *t2, per_id[MAXB], other;
	char err[256] = "";
	uint32_t zero_id = ten->b[2].id;

	printf("-- weights and rejected input\n");
	/* weight 0: out of the table, and the same table as without it */
	s.b[2].weight = 0;
	without(ten, zero_id, &nine);
	t = build(&s, SIZE, SEED);
	t2 = build(&nine, SIZE, SEED);
	count(t, SIZE, per_id, &other);
	CHECK_SHOW(per_id[zero_id] == 0 && other == 0,
	           "   weight 0: backend %u holds %u slots, %u empty", zero_id, per_id[zero_id], other);
	CHECK_SHOW(memcmp(t, t2, SIZE * sizeof(*t)) == 0,
	           "   weight 0: table identical to the one built without that backend");
	free(t);
	free(t2);

	/* all weights 0: every slot empty; no backends at all: the same */
	for (size_t i = 0; i < s.n; i++)
		s.b[i].weight = 0;
	t = build(&s, SIZE, SEED);
	count(t, SIZE, per_id, &other);
	CHECK_SHOW(other == SIZE, "   all weights 0: %u of %u slots SLB_MAGLEV_EMPTY", other, SIZE);
	free(t);
	t = malloc(SIZE * sizeof(*t));
	if (!t)
		exit(2);
	{
		int rc = slb_maglev_build(NULL, 0, SIZE, SEED, t, err, sizeof(err));

		count(t, SIZE, per_id, &other);
		CHECK_SHOW(rc == 0 && other == SIZE, "   no backends: rc %d, %u of %u slots empty", rc,
		           other, SIZE);
	}
	free(t);

	/* rejections */
	expect_reject(ten->b, ten->n, 65536, "non-prime size 65536");
	expect_reject(ten->b, ten->n, 65535, "non-prime size 65535");
	expect_reject(ten->b, ten->n, 7, "size 7 (prime) <= 10 backends");
	{
		struct set eleven = *ten;

		add(&eleven, 11, 1);
		expect_reject(eleven.b, eleven.n, 11, "size 11 (prime) == 11 backends");
	}
	{
		/* only backends of weight > 0 count against the size */
		uint32_t small[7], live = 0;
		int rc;

		s = *ten;
		for (size_t i = 0; i < 4; i++)
			s.b[i].weight = 0;
		rc = slb_maglev_build(s.b, s.n, 7, SEED, small, err, sizeof(err));
		for (uint32_t k = 0; rc == 0 && k < 7; k++)
			for (size_t i = 4; i < s.n; i++)
				live += small[k] == s.b[i].id;
		CHECK_SHOW(rc == 0 && live == 7, "   size 7 (prime), 10 backends of which 4 at weight 0: "
		           "rc %d, %u of 7 slots on the 6 of weight > 0", rc, live);
		s.b[3].weight = 1;
		expect_reject(s.b, s.n, 7, "size 7 (prime) == 7 backends of weight > 0");
	}
	s = *ten;
	s.b[4].weight = SLB_MAGLEV_MAX_WEIGHT + 1;
	expect_reject(s.b, s.n, SIZE, "weight 65536");
	s = *ten;
	s.b[4].weight = SLB_MAGLEV_MAX_WEIGHT;
	t = malloc(SIZE * sizeof(*t));
	if (!t)
		exit(2);
	CHECK_SHOW(slb_maglev_build(s.b, s.n, SIZE, SEED, t, err, sizeof(err)) == 0,
	           "   weight 65535 accepted");
	free(t);
	s = *ten;
	s.b[7].key = s.b[3].key;
	s.b[7].key_len = s.b[3].key_len;
	expect_reject(s.b, s.n, SIZE, "duplicate key");
	s = *ten;
	s.b[7].key = s.b[3].key;
	s.b[7].key_len = s.b[3].key_len;
	s.b[7].weight = 0;
	expect_reject(s.b, s.n, SIZE, "duplicate key, one copy at weight 0");
	CHECK_SHOW(slb_is_prime(BIG_SIZE) && slb_is_prime(SIZE) && !slb_is_prime(65536),
	           "   slb_is_prime(%u) %d, (%u) %d, (65536) %d", BIG_SIZE, slb_is_prime(BIG_SIZE),
	           SIZE, slb_is_prime(SIZE), slb_is_prime(65536));
}

int main(void)
{
	static const uint32_t w[10] = {100, 250, 50, 1000, 400, 75, 600, 300, 150, 800};
	struct set ten = {.n = 0};

	for (uint32_t i = 0; i < 10; i++)
		add(&ten, i + 1, w[i]);
	printf("weighted Maglev: 10 backends, weights 100 250 50 1000 400 75 600 300 150 800 "
	       "(sum %llu), seed %#llx\n", (unsigned long long)weight_sum(&ten),
	       (unsigned long long)SEED);

	check_shares(&ten, SIZE, SEED, "unequal weights");
	check_shares(&ten, BIG_SIZE, SEED, "unequal weights");
	check_removal(&ten, 4, 1);  /* the heaviest: the most moved slots */
	check_removal(&ten, 7, 1);  /* a middle one */
	for (uint32_t id = 1; id <= 10; id++)
		if (id != 4 && id != 7)
			check_removal(&ten, id, 0);
	check_addition(&ten);
	check_sweep(&ten);
	check_pure(&ten);
	check_edges(&ten);

	return check_summary();
}
