/*
 * test/unit/abi/minimal_host.c: a host written in C from abi/ccdr/abi.h and
 * abi/README.md alone, nothing of include/ccdr/ or the reference host. It
 * loads a plugin (README "Loading"), runs one instance through its lifecycle
 * (README "Lifecycle") and calls its procedures the way a client's CALL
 * would, checking each answer. The host has one logical server and no
 * database, and no cluster SSL policy, so the plugin cannot replicate:
 * createReplicaDatabase must fail cleanly, creating nothing.
 *
 *   minimal_host <path to libccdr.so>
 *
 * Prints "ok N - ..." or "not ok N - ..." per check; exits 0 when all pass.
 */
#define _XOPEN_SOURCE 700

#include <ccdr/abi.h>

#include <dlfcn.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- checks ------------------------------------------------------------- */

static int checks = 0;
static int failures = 0;

static void check(int ok, const char *what) {
  ++checks;
  if (!ok) {
    ++failures;
  }
  printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, what);
}

static int contains(const char *text, const char *needle) { return strstr(text, needle) != NULL; }

static ccdr_string str(const char *text) {
  ccdr_string s;
  s.data = text;
  s.len = strlen(text);
  return s;
}

static int equals(ccdr_string s, const char *text) { return s.len == strlen(text) && memcmp(s.data, text, s.len) == 0; }

/* --- the host's state: one logical server ------------------------------ */

#define MAX_PROCEDURES 16

#define MAX_ARGS 8

struct procedure {
  char name[128];
  ccdr_procedure_fn fn;
  void *user_data;
  size_t arg_count;
  size_t required_count; /* arguments before the trailing CCDR_FIELD_OPTIONAL ones */
  /* Passed for omitted optional arguments, as abi.h says a host does. The
   * struct is copied; the plugin's defaults are NULL or static text. */
  ccdr_value defaults[MAX_ARGS];
};

/* The handle the plugin gets (abi.h: opaque to the plugin, the host's). */
struct ccdr_host_ctx {
  char data_directory[256];
  struct procedure procedures[MAX_PROCEDURES];
  size_t procedure_count;
  int create_database_calls;
  int log_lines;
};

/* The plugin's vtable, for the defaults of its declared settings. */
static const ccdr_plugin_api *plugin = NULL;

/* README "Errors": the callee writes only what the caller's struct_size covers. */
static ccdr_status fail(ccdr_error *err, ccdr_status status, const char *message) {
  if (err != NULL && CCDR_HAS_FIELD(err, ccdr_error, message)) {
    err->status = (int32_t)status;
    snprintf(err->message, sizeof err->message, "%s", message);
  }
  return status;
}

static ccdr_status no_database(ccdr_error *err) {
  return fail(err, CCDR_DATABASE_NOT_FOUND, "this host has no database");
}

/* --- the host's vtable ---------------------------------------------------- */

static void host_log(ccdr_host_ctx *host, uint32_t level, ccdr_string message) {
  ++host->log_lines;
  fprintf(stderr, "# plugin log (level %u): %.*s\n", (unsigned)level, (int)message.len, message.data);
}

/* Declared ccdr.* keys: the declaration's default (nothing is configured).
 * Any other key is unknown here: CCDR_INVALID_ARGUMENT. */
static ccdr_status host_get_setting(ccdr_host_ctx *host, ccdr_string key, const ccdr_string_sink *out,
                                    ccdr_error *err) {
  size_t i;
  (void)host;
  for (i = 0; plugin != NULL && i < plugin->setting_count; ++i) {
    const ccdr_setting_def *def = &plugin->settings[i];
    if (def->name.len == key.len && memcmp(def->name.data, key.data, key.len) == 0) {
      out->set(out->ctx, def->default_value);
      return CCDR_OK;
    }
  }
  return fail(err, CCDR_INVALID_ARGUMENT, "unknown setting");
}

static ccdr_status host_server_info(ccdr_host_ctx *host, const ccdr_server_info_sink *out, ccdr_error *err) {
  ccdr_server_info info;
  (void)err;
  memset(&info, 0, sizeof info);
  info.hdr = (ccdr_header)CCDR_HEADER_INIT(ccdr_server_info);
  info.server_id = str("s1");
  info.cluster_id = str("minimal-cluster");
  info.bolt_address = str("127.0.0.1:7687");
  info.cluster_address = str("127.0.0.1:6000");
  info.data_directory = str(host->data_directory);
  info.host_name = str("minimal-c-host");
  info.host_version = str("1");
  out->set(out->ctx, &info);
  return CCDR_OK;
}

static ccdr_status host_register_procedure(ccdr_host_ctx *host, const ccdr_procedure_def *def, ccdr_error *err) {
  struct procedure *p;
  if (host->procedure_count == MAX_PROCEDURES || def->name.len >= sizeof p->name || def->fn == NULL) {
    return fail(err, CCDR_INVALID_ARGUMENT, "cannot register this procedure");
  }
  p = &host->procedures[host->procedure_count++];
  memcpy(p->name, def->name.data, def->name.len); /* borrowed: copied */
  p->name[def->name.len] = '\0';
  p->fn = def->fn;
  p->user_data = def->user_data;
  if (def->arg_count > MAX_ARGS) {
    --host->procedure_count;
    return fail(err, CCDR_INVALID_ARGUMENT, "too many arguments for this host");
  }
  p->arg_count = def->arg_count;
  p->required_count = 0;
  for (size_t i = 0; i < def->arg_count; i++) {
    p->defaults[i] = def->args[i].default_value;
    if ((def->args[i].flags & CCDR_FIELD_OPTIONAL) == 0) {
      p->required_count = i + 1;
    }
  }
  return CCDR_OK;
}

static ccdr_status host_log_info(ccdr_host_ctx *host, ccdr_string database, ccdr_log_info *out, ccdr_error *err) {
  (void)host, (void)database, (void)out;
  return no_database(err);
}

static ccdr_status host_read_log(ccdr_host_ctx *host, ccdr_string database, uint64_t from_tx, uint64_t max_bytes,
                                 const ccdr_tx_visitor *visitor, ccdr_error *err) {
  (void)host, (void)database, (void)from_tx, (void)max_bytes, (void)visitor;
  return no_database(err);
}

static ccdr_status host_apply_batch(ccdr_host_ctx *host, ccdr_string database, const ccdr_tx *txs, size_t count,
                                    ccdr_error *err) {
  (void)host, (void)database, (void)txs, (void)count;
  return no_database(err);
}

static ccdr_status host_snapshot_export(ccdr_host_ctx *host, ccdr_string database, const ccdr_snapshot_sink *sink,
                                        ccdr_error *err) {
  (void)host, (void)database, (void)sink;
  return no_database(err);
}

static ccdr_status host_snapshot_import(ccdr_host_ctx *host, ccdr_string database, const ccdr_snapshot_info *info,
                                        const ccdr_snapshot_source *source, ccdr_error *err) {
  (void)host, (void)database, (void)info, (void)source;
  return no_database(err);
}

static ccdr_status host_create_database(ccdr_host_ctx *host, const ccdr_database_spec *spec, ccdr_error *err) {
  (void)spec;
  ++host->create_database_calls;
  return fail(err, CCDR_INVALID_ARGUMENT, "this host creates no database");
}

static ccdr_status host_drop_database(ccdr_host_ctx *host, ccdr_string name, ccdr_error *err) {
  (void)host, (void)name;
  return no_database(err);
}

static ccdr_status host_set_database_kind(ccdr_host_ctx *host, ccdr_string name, uint32_t kind, uint64_t epoch,
                                          ccdr_error *err) {
  (void)host, (void)name, (void)kind, (void)epoch;
  return no_database(err);
}

static ccdr_status host_set_topology(ccdr_host_ctx *host, ccdr_string name, uint32_t primaries, uint32_t secondaries,
                                     ccdr_error *err) {
  (void)host, (void)name, (void)primaries, (void)secondaries;
  return no_database(err);
}

static ccdr_status host_database_info(ccdr_host_ctx *host, ccdr_string name, const ccdr_database_info_sink *out,
                                      ccdr_error *err) {
  (void)host, (void)name, (void)out;
  return no_database(err);
}

static ccdr_status host_set_database_option(ccdr_host_ctx *host, ccdr_string name, ccdr_string key,
                                            const ccdr_value *value, ccdr_error *err) {
  (void)host, (void)name, (void)key, (void)value;
  return no_database(err);
}

static ccdr_status host_get_database_option(ccdr_host_ctx *host, ccdr_string name, ccdr_string key,
                                            const ccdr_value_sink *out, ccdr_error *err) {
  (void)host, (void)name, (void)key, (void)out;
  return no_database(err);
}

/* --- calling a procedure as a client's CALL would -------------------------- */

struct rows {
  size_t count;
};

static ccdr_status count_row(void *ctx, const ccdr_value *values, size_t count) {
  (void)values, (void)count;
  ((struct rows *)ctx)->count++;
  return CCDR_OK;
}

/* ABI 1.2 list_subscriptions: counts the subscriptions an instance lists. */
static ccdr_status count_subscription(void *ctx, const ccdr_subscription_info *info) {
  (void)info;
  ((struct rows *)ctx)->count++;
  return CCDR_OK;
}

static ccdr_status no_server_fails(void *ctx, ccdr_string server_id, ccdr_status status, ccdr_string message) {
  (void)ctx, (void)server_id, (void)status, (void)message;
  return CCDR_INTERNAL; /* an instance never reports other servers */
}

static const struct procedure *find_procedure(const ccdr_host_ctx *host, const char *name) {
  size_t i;
  for (i = 0; i < host->procedure_count; ++i) {
    if (strcmp(host->procedures[i].name, name) == 0) {
      return &host->procedures[i];
    }
  }
  return NULL;
}

/* Calls `name` as an admin on database "system"; returns its status, the
 * message in `err`, the rows it yielded in `rows`. */
static ccdr_status call(const ccdr_host_ctx *host, const char *name, const ccdr_value *args, size_t arg_count,
                        ccdr_error *err, struct rows *rows) {
  const struct procedure *p = find_procedure(host, name);
  ccdr_call_info info;
  ccdr_row_sink sink;
  memset(&info, 0, sizeof info);
  info.hdr = (ccdr_header)CCDR_HEADER_INIT(ccdr_call_info);
  info.user = str("neo4j");
  info.database = str("system");
  info.is_admin = 1;
  sink.hdr = (ccdr_header)CCDR_HEADER_INIT(ccdr_row_sink);
  sink.ctx = rows;
  sink.emit = count_row;
  memset(err, 0, sizeof *err);
  err->hdr = (ccdr_header)CCDR_HEADER_INIT(ccdr_error);
  rows->count = 0;
  if (p == NULL) {
    snprintf(err->message, sizeof err->message, "no procedure %s", name);
    return CCDR_PROCEDURE_NOT_FOUND;
  }
  if (arg_count < p->required_count || arg_count > p->arg_count) {
    snprintf(err->message, sizeof err->message, "%s takes %zu to %zu arguments", name, p->required_count,
             p->arg_count);
    return CCDR_PROCEDURE_CALL_FAILED;
  }
  /* Omitted optional arguments: their defaults, so the plugin always gets all. */
  ccdr_value all[MAX_ARGS];
  for (size_t i = 0; i < p->arg_count; i++) {
    all[i] = i < arg_count ? args[i] : p->defaults[i];
  }
  return p->fn(p->user_data, &info, all, p->arg_count, &sink, err);
}

static ccdr_value string_value(const char *text) {
  ccdr_value v;
  memset(&v, 0, sizeof v);
  v.type = CCDR_VALUE_STRING;
  v.as.string = str(text);
  return v;
}

static ccdr_value integer_value(int64_t n) {
  ccdr_value v;
  memset(&v, 0, sizeof v);
  v.type = CCDR_VALUE_INTEGER;
  v.as.integer = n;
  return v;
}

/* internal.dbms.createReplicaDatabase("foo-replica", 1, 0,
 *     {remote: "foo", addresses: ["127.0.0.1:7"]}) */
static ccdr_status create_replica(const ccdr_host_ctx *host, ccdr_error *err, struct rows *rows) {
  ccdr_value address = string_value("127.0.0.1:7");
  ccdr_map_entry options[2];
  ccdr_value args[4];
  options[0].key = str("remote");
  options[0].value = string_value("foo");
  options[1].key = str("addresses");
  memset(&options[1].value, 0, sizeof options[1].value);
  options[1].value.type = CCDR_VALUE_LIST;
  options[1].value.as.list.items = &address;
  options[1].value.as.list.count = 1;
  args[0] = string_value("foo-replica");
  args[1] = integer_value(1);
  args[2] = integer_value(0);
  memset(&args[3], 0, sizeof args[3]);
  args[3].type = CCDR_VALUE_MAP;
  args[3].as.map.entries = options;
  args[3].as.map.count = 2;
  return call(host, "internal.dbms.createReplicaDatabase", args, 4, err, rows);
}

/* --- metrics ------------------------------------------------------------------ */

struct metric_seen {
  const char *name;
  int found;
  uint32_t type;
  double value;
  int emitted;
};

static void see_metric(void *ctx, const ccdr_metric *metric) {
  struct metric_seen *seen = ctx;
  seen->emitted++;
  if (equals(metric->name, seen->name)) {
    seen->found = 1;
    seen->type = metric->type;
    seen->value = metric->value;
  }
}

/* --- cleanup ------------------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

/* --- the walk ------------------------------------------------------------------ */

int main(int argc, char **argv) {
  ccdr_host_ctx host;
  ccdr_host_api api;
  ccdr_plugin_entry_fn entry = NULL;
  ccdr_plugin_ctx *instance = NULL;
  ccdr_error err;
  ccdr_status st;
  struct rows rows;
  void *library;
  void *symbol;

  if (argc != 2) {
    fprintf(stderr, "usage: %s <plugin.so>\n", argv[0]);
    return 2;
  }
  memset(&host, 0, sizeof host);
  snprintf(host.data_directory, sizeof host.data_directory, "/tmp/ccdr-minimal-host.XXXXXX");
  if (mkdtemp(host.data_directory) == NULL) {
    perror("mkdtemp");
    return 2;
  }

  /* README "Loading", steps 1 to 5. */
  library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  check(library != NULL, "dlopen(RTLD_NOW | RTLD_LOCAL) loads the plugin");
  if (library == NULL) {
    fprintf(stderr, "# %s\n", dlerror());
    return 1;
  }
  symbol = dlsym(library, CCDR_PLUGIN_ENTRY_SYMBOL);
  check(symbol != NULL, "the plugin exports ccdr_plugin_entry");
  if (symbol == NULL) {
    return 1;
  }
  memcpy(&entry, &symbol, sizeof entry); /* POSIX: dlsym's pointer is the function's */

  memset(&api, 0, sizeof api);
  api.hdr = (ccdr_header)CCDR_HEADER_INIT(ccdr_host_api);
  api.log = host_log;
  api.get_setting = host_get_setting;
  api.server_info = host_server_info;
  api.register_procedure = host_register_procedure;
  api.log_info = host_log_info;
  api.read_log = host_read_log;
  api.apply_batch = host_apply_batch;
  api.snapshot_export = host_snapshot_export;
  api.snapshot_import = host_snapshot_import;
  api.create_database = host_create_database;
  api.drop_database = host_drop_database;
  api.set_database_kind = host_set_database_kind;
  api.set_topology = host_set_topology;
  api.database_info = host_database_info;
  api.set_database_option = host_set_database_option;
  api.get_database_option = host_get_database_option;
  api.content_fingerprint = NULL; /* 1.1: this host cannot fingerprint */

  memset(&err, 0, sizeof err);
  err.hdr = (ccdr_header)CCDR_HEADER_INIT(ccdr_error);
  st = entry(&api, &plugin, &err);
  check(st == CCDR_OK && plugin != NULL, "ccdr_plugin_entry accepts the host's vtable");
  if (st != CCDR_OK || plugin == NULL) {
    fprintf(stderr, "# %s\n", err.message);
    return 1;
  }
  check(plugin->hdr.major == CCDR_ABI_VERSION_MAJOR, "the plugin's ABI major is the host's");
  check(CCDR_HAS_FIELD(plugin, ccdr_plugin_api, collect_metrics) && plugin->validate_setting && plugin->create &&
            plugin->start && plugin->stop && plugin->destroy && plugin->before_commit && plugin->after_commit &&
            plugin->on_database_event && plugin->describe_database && plugin->collect_metrics,
        "the plugin's vtable covers every 1.0 function, none NULL");
  check(equals(plugin->name, "ccdr"), "the plugin is named ccdr");

  /* Step 6: settings, before any instance exists. */
  st = plugin->validate_setting(str("ccdr.batch.max_bytes"), str("1MiB"), &err);
  check(st == CCDR_OK, "validate_setting accepts ccdr.batch.max_bytes=1MiB");
  st = plugin->validate_setting(str("ccdr.batch.max_bytes"), str("lots"), &err);
  check(st == CCDR_INVALID_SETTING && contains(err.message, "ccdr.batch.max_bytes") && contains(err.message, "lots"),
        "validate_setting refuses ccdr.batch.max_bytes=lots, naming key and value");

  /* Step 7: create with the same vtable, start. */
  st = plugin->create(&api, &host, &instance, &err);
  check(st == CCDR_OK && instance != NULL, "create() makes an instance");
  if (st != CCDR_OK || instance == NULL) {
    fprintf(stderr, "# %s\n", err.message);
    return 1;
  }
  check(find_procedure(&host, "internal.dbms.createReplicaDatabase") != NULL &&
            find_procedure(&host, "internal.dbms.promoteReplicaDatabase") != NULL,
        "create() registered the internal.dbms procedures");
  st = plugin->start(instance, &err);
  check(st == CCDR_OK, "start() succeeds without a cluster SSL policy (replication off, said in the log)");

  /* A client's CALLs. */
  st = create_replica(&host, &err, &rows);
  check(st == CCDR_PROCEDURE_CALL_FAILED && contains(err.message, "cannot contact the upstream cluster") &&
            contains(err.message, "requires TLS"),
        "createReplicaDatabase fails cleanly: no TLS policy, so no upstream can be asked");
  fprintf(stderr, "# createReplicaDatabase: %s\n", err.message);
  check(host.create_database_calls == 0 && rows.count == 0, "the failed createReplicaDatabase created nothing");
  {
    /* The optional options map is omitted: its default (NULL) is passed. */
    ccdr_value args[2];
    args[0] = string_value("nope");
    memset(&args[1], 0, sizeof args[1]);
    st = call(&host, "internal.dbms.promoteReplicaDatabase", args, 2, &err, &rows);
    check(st == CCDR_PROCEDURE_CALL_FAILED && contains(err.message, "'nope' does not exist"),
          "promoteReplicaDatabase of a missing database fails, naming it");
  }

  /* ABI 1.2: this host leaves cluster_subscriptions NULL, so the cluster's
   * view of its replicas is refused, naming the host's version; the plugin's
   * own hook (list_subscriptions) lists what this instance serves: nothing. */
  {
    ccdr_value every;
    ccdr_subscription_sink sink;
    memset(&every, 0, sizeof every); /* NULL: every database */
    st = call(&host, "internal.dbms.showReplicaSubscriptions", &every, 1, &err, &rows);
    check(st == CCDR_UNSUPPORTED && contains(err.message, "the host provides ccdr ABI 1.2 without cluster_subscriptions"),
          "showReplicaSubscriptions in a host without cluster_subscriptions is CCDR_UNSUPPORTED, naming the version");
    check(CCDR_HAS_FIELD(plugin, ccdr_plugin_api, list_subscriptions) && plugin->list_subscriptions != NULL,
          "the plugin's vtable has the 1.2 hook list_subscriptions");
    sink.hdr = (ccdr_header)CCDR_HEADER_INIT(ccdr_subscription_sink);
    sink.ctx = &rows;
    sink.subscription = count_subscription;
    sink.server_failed = no_server_fails;
    rows.count = 0;
    st = plugin->list_subscriptions(instance, str(""), &sink, &err);
    check(st == CCDR_OK && rows.count == 0, "list_subscriptions of an instance nobody subscribed to lists nothing");
  }

  /* Status, metrics and the commit path of a database the plugin never heard of. */
  {
    ccdr_database_status status;
    memset(&status, 0, sizeof status);
    status.hdr = (ccdr_header)CCDR_HEADER_INIT(ccdr_database_status);
    status.state = CCDR_REPLICA_STREAMING; /* overwritten */
    st = plugin->describe_database(instance, str("foo"), &status);
    check(st == CCDR_OK && status.state == CCDR_REPLICA_NONE, "describe_database of an unknown database is NONE");
  }
  {
    struct metric_seen seen;
    ccdr_metric_sink sink;
    memset(&seen, 0, sizeof seen);
    seen.name = "dbms.ccdr.replica_members";
    sink.hdr = (ccdr_header)CCDR_HEADER_INIT(ccdr_metric_sink);
    sink.ctx = &seen;
    sink.emit = see_metric;
    plugin->collect_metrics(instance, &sink);
    check(seen.found && seen.type == CCDR_METRIC_GAUGE && seen.value == 0.0,
          "collect_metrics emits dbms.ccdr.replica_members = 0 as a gauge");
  }
  {
    ccdr_commit_info info;
    memset(&info, 0, sizeof info);
    info.hdr = (ccdr_header)CCDR_HEADER_INIT(ccdr_commit_info);
    info.database = str("foo");
    info.origin = CCDR_ORIGIN_USER;
    info.user = str("neo4j");
    st = plugin->before_commit(instance, &info, &err);
    check(st == CCDR_OK, "before_commit lets a user write to a database that is not a replica");
    plugin->after_commit(instance, str("foo"), 1, 1700000000000);
  }

  /* README "Lifecycle": after stop(), calls are answered as before start(). */
  plugin->stop(instance);
  st = create_replica(&host, &err, &rows);
  check(st == CCDR_PROCEDURE_CALL_FAILED && contains(err.message, "not started"),
        "after stop(), createReplicaDatabase fails, saying the plugin is not started");
  plugin->destroy(instance);
  check(host.log_lines > 0, "the plugin logged through the host's log()");

  check(dlclose(library) == 0, "dlclose unloads the plugin");
  nftw(host.data_directory, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  printf("%d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
