/* Shared body of the C test plugins: a plugin that does nothing, correctly. */
#ifndef CCDR_TEST_MINIMAL_PLUGIN_H
#define CCDR_TEST_MINIMAL_PLUGIN_H
#include <ccdr/abi.h>
#include <stdlib.h>

struct ccdr_plugin_ctx {
  int started;
};

static ccdr_status mp_validate(ccdr_string key, ccdr_string value, ccdr_error *err) {
  (void)key; (void)value; (void)err;
  return CCDR_OK;
}
static ccdr_status mp_create(const ccdr_host_api *api, ccdr_host_ctx *host, ccdr_plugin_ctx **out, ccdr_error *err) {
  (void)api; (void)host; (void)err;
  *out = (ccdr_plugin_ctx *)calloc(1, sizeof(ccdr_plugin_ctx));
  return *out ? CCDR_OK : CCDR_INTERNAL;
}
static ccdr_status mp_start(ccdr_plugin_ctx *p, ccdr_error *err) { (void)err; p->started = 1; return CCDR_OK; }
static void mp_stop(ccdr_plugin_ctx *p) { p->started = 0; }
static void mp_destroy(ccdr_plugin_ctx *p) { free(p); }
static ccdr_status mp_before_commit(ccdr_plugin_ctx *p, const ccdr_commit_info *i, ccdr_error *err) {
  (void)p; (void)i; (void)err;
  return CCDR_OK;
}
static void mp_after_commit(ccdr_plugin_ctx *p, ccdr_string db, uint64_t tx, int64_t t) { (void)p; (void)db; (void)tx; (void)t; }
static void mp_event(ccdr_plugin_ctx *p, const ccdr_database_event *e) { (void)p; (void)e; }
static ccdr_status mp_describe(ccdr_plugin_ctx *p, ccdr_string db, ccdr_database_status *out) {
  (void)p; (void)db;
  out->state = CCDR_REPLICA_NONE;
  return CCDR_OK;
}
static void mp_metrics(ccdr_plugin_ctx *p, const ccdr_metric_sink *sink) { (void)p; (void)sink; }

static void mp_fill(ccdr_plugin_api *a) {
  a->name.data = "minimal"; a->name.len = 7;
  a->version.data = "1"; a->version.len = 1;
  a->validate_setting = mp_validate;
  a->create = mp_create;
  a->start = mp_start;
  a->stop = mp_stop;
  a->destroy = mp_destroy;
  a->before_commit = mp_before_commit;
  a->after_commit = mp_after_commit;
  a->on_database_event = mp_event;
  a->describe_database = mp_describe;
  a->collect_metrics = mp_metrics;
}
#endif
