/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture.start {vip?, sample?}, capture.stop, capture.status
 * (docs/capture.md): the model's capture settings changed and published as
 * one generation, which siplb-dp's workers read; the collector is the
 * configuration file's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "siplbd_capture_rpc.h"
#include "siplbd_rpc.h"
#include "siplbd_stats.h"

#define R(call) ((struct siplbd_rpc *)(call)->ctx)
#define M(call) (R(call)->model)

/* "all", or the names of the VIPs in the mask, comma-separated. */
static void vip_names(const struct slb_config *c, uint64_t mask, char *out, size_t len)
{
	size_t n = 0;

	snprintf(out, len, "%s", mask == SLB_CAPTURE_ALL_VIPS ? "all" : "");
	for (uint32_t v = 0; mask != SLB_CAPTURE_ALL_VIPS && v < c->n_vips && n < len; v++)
		if (mask >> v & 1)
			n += (size_t)snprintf(out + n, len - n, "%s%s", n ? "," : "", c->vips[v].name);
}

static json_object *status_json(struct siplbd_rpc *r)
{
	const struct slb_config_capture *c = &r->model->cfg.capture;
	const struct slb_capture_stats *k = &r->totals->capture;
	json_object *o = json_object_new_object();
	char ep[SLB_ADDR_TEXT_LEN], vips[SLB_MAX_VIPS * (SLB_NAME_LEN + 1)];

	siplbd_stats_sum(r->maps, r->totals);
	vip_names(&r->model->cfg, c->vips, vips, sizeof(vips));
	json_object_object_add(o, "capturing", json_object_new_boolean(c->enabled));
	json_object_object_add(o, "collector", json_object_new_string(
		slb_addr_format(&c->collector, SLB_ADDR_ENDPOINT, ep, sizeof(ep))));
	json_object_object_add(o, "agent_id", json_object_new_int64(c->agent_id));
	json_object_object_add(o, "vips", json_object_new_string(vips));
	json_object_object_add(o, "sample", json_object_new_int64(c->sample));
	json_object_object_add(o, "rate", json_object_new_int64(c->rate));
	json_object_object_add(o, "queued", json_object_new_uint64(k->queued));
	json_object_object_add(o, "queue_full", json_object_new_uint64(k->queue_full));
	json_object_object_add(o, "sent", json_object_new_uint64(k->sent));
	json_object_object_add(o, "over_rate", json_object_new_uint64(k->over_rate));
	json_object_object_add(o, "send_errors", json_object_new_uint64(k->send_errors));
	return o;
}

/* The settings of params into *c: 0, or -1 with e filled. */
static int settings(const struct siplbd_model *m, json_object *params,
		    struct slb_config_capture *c, struct slb_rpc_error *e)
{
	json_object *v;
	const char *name;

	if (json_object_object_get_ex(params, "sample", &v))
		c->sample = (uint32_t)json_object_get_int64(v);
	c->vips = SLB_CAPTURE_ALL_VIPS;
	if (!json_object_object_get_ex(params, "vip", &v))
		return 0;
	name = json_object_get_string(v);
	for (uint32_t i = 0; i < m->cfg.n_vips; i++)
		if (!strcmp(m->cfg.vips[i].name, name))
			return c->vips = 1ULL << i, 0;
	return slb_rpc_fail(e, SLB_RPC_NOT_FOUND, "vip", "no VIP '%.64s' (vip.list lists them)",
			    name);
}

/* Capture on or off with params' settings, published; on failure as it was. */
static int change(const struct slb_rpc_call *call, json_object *params, bool on,
		  json_object **res, struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	struct slb_config_capture was = m->cfg.capture, now = was;
	char err[512];

	if (!was.configured)
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, NULL, "no collector: the "
				    "configuration has no capture = { address = ...; } group "
				    "(docs/capture.md)");
	if (on && settings(m, params, &now, e))
		return -1;
	now.enabled = on;
	m->cfg.capture = now;
	if (siplbd_publish(m, on ? "capture start" : "capture stop", err, sizeof(err))) {
		m->cfg.capture = was;
		return slb_rpc_fail(e, SLB_RPC_PUBLISH_FAILED, NULL, "%s", err);
	}
	*res = status_json(R(call));
	return 0;
}

static int h_capture_start(const struct slb_rpc_call *call, json_object *params,
			   json_object **res, struct slb_rpc_error *e)
{
	return change(call, params, true, res, e);
}

static int h_capture_stop(const struct slb_rpc_call *call, json_object *params,
			  json_object **res, struct slb_rpc_error *e)
{
	return change(call, params, false, res, e);
}

static int h_capture_status(const struct slb_rpc_call *call, json_object *params,
			    json_object **res, struct slb_rpc_error *e)
{
	(void)params;
	(void)e;
	*res = status_json(R(call));
	return 0;
}

void siplbd_capture_rpc_handlers(struct slb_rpc_handlers *h)
{
	h->capture_start = h_capture_start;
	h->capture_stop = h_capture_stop;
	h->capture_status = h_capture_status;
}
