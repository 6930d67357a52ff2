/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.validate and config.reload for the fake model: the real parser
 * (slb_config_load), so errors are the FILE:LINE: reason siplbd gives.
 */
#include <stdio.h>
#include <string.h>

#include "fake_model.h"

static int load(const char *file, struct slb_config *c, struct slb_rpc_error *e)
{
	char err[512];

	if (slb_config_load(file, c, err, sizeof(err)))
		return slb_rpc_fail(e, SLB_RPC_BAD_CONFIG, "file", "%s", err);
	return 0;
}

static json_object *counts(const char *file, const struct slb_config *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "vips", json_object_new_int((int)c->n_vips));
	json_object_object_add(o, "pools", json_object_new_int((int)c->n_pools));
	json_object_object_add(o, "backends", json_object_new_int((int)slb_config_n_backends(c)));
	return o;
}

static int h_validate(const struct slb_rpc_call *call, json_object *params, json_object **res,
		      struct slb_rpc_error *e)
{
	const char *file = json_object_get_string(json_object_object_get(params, "file"));
	struct slb_config c;

	(void)call;
	if (load(file, &c, e))
		return -1;
	*res = counts(file, &c);
	json_object_object_add(*res, "ports", json_object_new_int((int)c.n_ports));
	slb_config_free(&c);
	return 0;
}

/* Another file becomes the one later reloads read, as with siplbd. */
static int h_reload(const struct slb_rpc_call *call, json_object *params, json_object **res,
		    struct slb_rpc_error *e)
{
	struct fake_model *m = call->ctx;
	json_object *f;
	char file[sizeof(m->config)];
	struct slb_config c;

	snprintf(file, sizeof(file), "%s", json_object_object_get_ex(params, "file", &f) ?
		 json_object_get_string(f) : m->config);
	if (!file[0])
		return slb_rpc_fail(e, SLB_RPC_BAD_CONFIG, "file", "no configuration file to reload");
	if (load(file, &c, e))
		return -1;
	if (!c.n_vips && m->n_vips) { /* as siplbd_model.c's takes_all_away() */
		slb_config_free(&c);
		return slb_rpc_fail(e, SLB_RPC_BAD_CONFIG, "file", "%s: no vips: a reload would "
				    "take away every VIP (%u running)", file, m->n_vips);
	}
	fake_model_apply(m, &c);
	memcpy(m->config, file, sizeof(file));
	*res = counts(file, &c);
	json_object_object_add(*res, "generation", json_object_new_int64((int64_t)m->generation));
	slb_config_free(&c);
	return 0;
}

void fake_config_handlers(struct slb_rpc_handlers *h)
{
	h->config_validate = h_validate;
	h->config_reload = h_reload;
}
