/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture.start {vip?, sample?, pcap?}, capture.stop {only?}, capture.status
 * (docs/capture.md): the model's capture settings changed and published as
 * one generation, which siplb-dp's workers read; the collector and the
 * pcap directory are the configuration file's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "siplb/log.h"

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

static json_object *pcap_json(const struct slb_config_capture *c,
			      const struct slb_capture_stats *k)
{
	json_object *o = json_object_new_object();
	char path[PATH_MAX + SLB_CAPTURE_PCAP_NAME_LEN + 8];

	slb_config_pcap_path(c->pcap_dir, c->pcap_name, path, sizeof(path));
	json_object_object_add(o, "file", c->pcap_name[0] ? json_object_new_string(path) : NULL);
	json_object_object_add(o, "vip", json_object_new_string(c->pcap_vip[0] ? c->pcap_vip :
								 "all"));
	json_object_object_add(o, "max_mb", json_object_new_int64(c->pcap_max_mb));
	json_object_object_add(o, "written", json_object_new_uint64(k->pcap_written));
	json_object_object_add(o, "dropped", json_object_new_uint64(k->pcap_dropped));
	return o;
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
	json_object_object_add(o, "collector", !c->configured ? NULL : json_object_new_string(
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
	json_object_object_add(o, "pcap", pcap_json(c, k));
	return o;
}

/* The VIP of params into *name ("" when none: all) and *mask. */
static int vip_param(const struct siplbd_model *m, json_object *params, const char **name,
		     uint64_t *mask, struct slb_rpc_error *e)
{
	json_object *o;
	int v;

	*name = "";
	*mask = SLB_CAPTURE_ALL_VIPS;
	if (!json_object_object_get_ex(params, "vip", &o))
		return 0;
	*name = json_object_get_string(o);
	v = slb_config_vip_index(&m->cfg, *name);
	if (v < 0)
		return slb_rpc_fail(e, SLB_RPC_NOT_FOUND, "vip", "no VIP '%.64s' (vip.list lists "
				    "them)", *name);
	*mask = 1ULL << v;
	return 0;
}

/* HEP on, with params' settings, into *c: 0, or -1 with e filled. */
static int hep_settings(const struct siplbd_model *m, json_object *params,
			struct slb_config_capture *c, struct slb_rpc_error *e)
{
	json_object *v;
	const char *name;

	if (!c->configured)
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, NULL, "no collector: the "
				    "configuration has no capture = { address = ...; } (docs/"
				    "capture.md); capture start --pcap NAME writes a file instead");
	if (json_object_object_get_ex(params, "sample", &v))
		c->sample = (uint32_t)json_object_get_int64(v);
	c->enabled = true;
	return vip_param(m, params, &name, &c->vips, e);
}

/* A pcap file named by params into *c: 0, or -1 with e filled. */
static int pcap_settings(const struct siplbd_model *m, json_object *params,
			 struct slb_config_capture *c, struct slb_rpc_error *e)
{
	char path[PATH_MAX + SLB_CAPTURE_PCAP_NAME_LEN + 8];
	const char *name = json_object_get_string(json_object_object_get(params, "pcap")), *vip;
	uint64_t mask;

	if (json_object_object_get_ex(params, "sample", NULL))
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "sample", "sample is for HEP: a "
				    "pcap file has every message of its VIP");
	if (!slb_config_pcap_name_ok(name))
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "pcap", "'%.80s': a file name of 1 to "
				    "%d letters, digits, '.', '_' or '-', not starting with '.'",
				    name, SLB_CAPTURE_PCAP_NAME_LEN - 1);
	if (c->pcap_name[0])
		return slb_rpc_fail(e, SLB_RPC_EXISTS, "pcap", "%s.pcap is being written: capture "
				    "stop --pcap first", c->pcap_name);
	slb_config_pcap_path(c->pcap_dir, name, path, sizeof(path));
	if (!access(path, F_OK))
		return slb_rpc_fail(e, SLB_RPC_EXISTS, "pcap", "%s exists: another name, or remove "
				    "it first", path);
	if (vip_param(m, params, &vip, &mask, e))
		return -1;
	snprintf(c->pcap_name, sizeof(c->pcap_name), "%s", name);
	snprintf(c->pcap_vip, sizeof(c->pcap_vip), "%s", vip);
	c->pcap_id++;
	return 0;
}

/* What capture.stop {only?} stops, into *c. */
static int stop_settings(json_object *params, struct slb_config_capture *c,
			 struct slb_rpc_error *e)
{
	json_object *v;
	const char *only = json_object_object_get_ex(params, "only", &v) ?
			   json_object_get_string(v) : "";

	if (*only && strcmp(only, "hep") && strcmp(only, "pcap"))
		return slb_rpc_fail(e, SLB_RPC_INVALID_PARAMS, "only", "'%.32s': \"hep\" or "
				    "\"pcap\"", only);
	if (strcmp(only, "pcap"))
		c->enabled = false;
	if (strcmp(only, "hep"))
		c->pcap_name[0] = c->pcap_vip[0] = 0;
	return 0;
}

static void log_pcap(const char *what, const struct slb_config_capture *c)
{
	slb_log(SLB_LOG_NOTICE, "capture: pcap %s: file=%s.pcap vip=%s", what, c->pcap_name,
		c->pcap_vip[0] ? c->pcap_vip : "all");
}

/* Capture changed as params say, published; on failure as it was. */
static int change(const struct slb_rpc_call *call, json_object *params, bool on,
		  json_object **res, struct slb_rpc_error *e)
{
	struct siplbd_model *m = M(call);
	struct slb_config_capture was = m->cfg.capture, now = was;
	bool pcap = json_object_object_get_ex(params, "pcap", NULL);
	char err[512];

	if (on && (pcap ? pcap_settings(m, params, &now, e) : hep_settings(m, params, &now, e)))
		return -1;
	if (!on && stop_settings(params, &now, e))
		return -1;
	m->cfg.capture = now;
	if (siplbd_publish(m, on ? "capture start" : "capture stop", err, sizeof(err))) {
		m->cfg.capture = was;
		return slb_rpc_fail(e, SLB_RPC_PUBLISH_FAILED, NULL, "%s", err);
	}
	if (strcmp(was.pcap_name, now.pcap_name))
		log_pcap(now.pcap_name[0] ? "start" : "stop", now.pcap_name[0] ? &now : &was);
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
