/*
 * ccdr/abi.h: the versioned C contract between a host database and the ccdr
 * replication plugin (libccdr.so).
 *
 * Rules (abi/README.md explains them at length):
 *  - C99, fixed-width integers, no C++ types. The only exported symbol of a
 *    plugin is ccdr_plugin_entry.
 *  - Every vtable and every argument struct starts with a ccdr_header. Minor
 *    versions only append fields at the end of a struct; a reader touches a
 *    field only when the other side's struct_size covers it (CCDR_HAS_FIELD).
 *    A different major is refused at load, naming both versions.
 *  - Small views (ccdr_string, ccdr_bytes, ccdr_value, ccdr_map_entry,
 *    ccdr_tx, ccdr_field) carry no header: their layout is frozen for the
 *    whole major version.
 *  - Memory: everything passed across is borrowed for the duration of the
 *    call. Results flow through sinks supplied by the caller. Nothing
 *    allocated on one side is freed on the other.
 *  - Errors: functions return a ccdr_status and fill an optional ccdr_error
 *    (caller-owned, may be NULL). Each status maps to one Neo4j status code
 *    (ccdr_status_neo4j_code).
 *  - Threads: host functions are thread-safe. Plugin functions may be called
 *    from any host thread, concurrently, unless their comment says otherwise.
 *    Each function says whether it may block and whether it calls back.
 *  - OWNERSHIP: every struct says who owns it and how long what it points to
 *    stays valid. A sink or visitor (a struct of ctx plus callbacks) is owned
 *    by the side that passes it; the receiving side calls it only during the
 *    call it was passed to, on that call's thread, and keeps no pointer to it.
 *  - Lifecycle: which plugin functions a host may call before start(), while
 *    stop() runs and after it returns is said at ccdr_plugin_api (and in
 *    abi/README.md, "Lifecycle").
 */
#ifndef CCDR_ABI_H
#define CCDR_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CCDR_ABI_VERSION_MAJOR 1 /* incompatible change: the other side refuses to load */
#define CCDR_ABI_VERSION_MINOR 2 /* additive change: fields appended at the end only */

#if defined(__GNUC__)
#define CCDR_EXPORT __attribute__((visibility("default")))
#else
#define CCDR_EXPORT
#endif

/* ------------------------------------------------------------------------ */
/* Versioned structs                                                         */
/* ------------------------------------------------------------------------ */

/* First member of every vtable and argument struct. */
typedef struct ccdr_header {
  uint32_t struct_size; /* sizeof(struct) as compiled by the side that filled it */
  uint16_t major;       /* CCDR_ABI_VERSION_MAJOR of that side */
  uint16_t minor;       /* CCDR_ABI_VERSION_MINOR of that side */
} ccdr_header;

/* Initialiser for the header of a struct of type `type` filled by this side. */
#define CCDR_HEADER_INIT(type) \
  { (uint32_t)sizeof(type), (uint16_t)CCDR_ABI_VERSION_MAJOR, (uint16_t)CCDR_ABI_VERSION_MINOR }

/* Non-zero when the struct at `ptr` (of type `type`, filled by the other side)
 * is large enough to contain `field`. Check before reading any field that a
 * later minor version appended. */
#define CCDR_HAS_FIELD(ptr, type, field) \
  ((size_t)(ptr)->hdr.struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* ------------------------------------------------------------------------ */
/* Status and errors                                                         */
/* ------------------------------------------------------------------------ */

/* Stable values: never renumbered, never reused. A value marked "reserved"
 * is returned by no function of this version; it keeps its number and its
 * Neo4j code so that a host can map its own errors through
 * ccdr_status_neo4j_code, and a later minor may start returning it. */
typedef enum ccdr_status {
  CCDR_OK = 0,
  CCDR_READ_ONLY_DATABASE = 1,    /* a user write reached a replica */
  CCDR_ACCESS_MODE = 2,           /* reserved: no ABI function returns it (hosts report it on their own) */
  CCDR_DATABASE_UNAVAILABLE = 3,  /* the database exists but is not online here */
  CCDR_DATABASE_NOT_FOUND = 4,    /* no database of that name */
  CCDR_PROCEDURE_NOT_FOUND = 5,   /* no procedure of that name */
  CCDR_PROCEDURE_CALL_FAILED = 6, /* wrong procedure arguments, or the procedure failed */
  CCDR_FORBIDDEN = 7,             /* the user lacks the role */
  CCDR_UNAUTHORIZED = 8,          /* reserved: no ABI function returns it (bad credentials) */
  CCDR_SYNTAX_ERROR = 9,          /* reserved: no ABI function returns it (a query the host cannot parse) */
  CCDR_NOT_A_LEADER = 10,         /* reserved: no ABI function returns it (a write to a non-writer member) */
  CCDR_INVALID_ARGUMENT = 11,     /* a malformed argument to an ABI function */
  CCDR_INVALID_SETTING = 12,      /* a setting value the plugin or host refuses */
  CCDR_LOG_PRUNED = 13,           /* read_log: from_tx is older than the retained log */
  CCDR_OUT_OF_ORDER = 14,         /* apply_batch: ids not contiguous with the last applied */
  CCDR_CORRUPT = 15,              /* data failed a checksum or does not parse */
  CCDR_IO_ERROR = 16,             /* a file, disk or socket operation failed */
  CCDR_UNSUPPORTED = 17,          /* the other side does not have this function or version */
  CCDR_VERSION_MISMATCH = 18,     /* ABI major versions differ */
  CCDR_STOPPED = 19,              /* a visitor or sink asked to stop, or shutdown is under way */
  CCDR_TIMEOUT = 20,              /* a deadline passed */
  CCDR_INTERNAL = 21              /* a bug: an invariant did not hold */
} ccdr_status;

/* The Neo4j status code a client sees for a status. Never NULL. */
static inline const char *ccdr_status_neo4j_code(ccdr_status status) {
  switch (status) {
    case CCDR_OK: return "";
    case CCDR_READ_ONLY_DATABASE: return "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase";
    case CCDR_ACCESS_MODE: return "Neo.ClientError.Statement.AccessMode";
    case CCDR_DATABASE_UNAVAILABLE: return "Neo.TransientError.General.DatabaseUnavailable";
    case CCDR_DATABASE_NOT_FOUND: return "Neo.ClientError.Database.DatabaseNotFound";
    case CCDR_PROCEDURE_NOT_FOUND: return "Neo.ClientError.Procedure.ProcedureNotFound";
    case CCDR_PROCEDURE_CALL_FAILED: return "Neo.ClientError.Procedure.ProcedureCallFailed";
    case CCDR_FORBIDDEN: return "Neo.ClientError.Security.Forbidden";
    case CCDR_UNAUTHORIZED: return "Neo.ClientError.Security.Unauthorized";
    case CCDR_SYNTAX_ERROR: return "Neo.ClientError.Statement.SyntaxError";
    case CCDR_NOT_A_LEADER: return "Neo.ClientError.Cluster.NotALeader";
    case CCDR_INVALID_ARGUMENT: return "Neo.ClientError.Statement.ArgumentError";
    case CCDR_INVALID_SETTING: return "Neo.ClientError.General.InvalidArguments";
    case CCDR_LOG_PRUNED: return "Neo.DatabaseError.Transaction.TransactionLogError";
    case CCDR_OUT_OF_ORDER: return "Neo.DatabaseError.Transaction.TransactionCommitFailed";
    case CCDR_CORRUPT: return "Neo.DatabaseError.General.StorageDamageDetected";
    case CCDR_IO_ERROR: return "Neo.DatabaseError.General.UnknownError";
    case CCDR_UNSUPPORTED: return "Neo.ClientError.Request.Invalid";
    case CCDR_VERSION_MISMATCH: return "Neo.ClientError.Request.Invalid";
    case CCDR_STOPPED: return "Neo.TransientError.Transaction.Terminated";
    case CCDR_TIMEOUT: return "Neo.ClientError.Transaction.TransactionTimedOut";
    case CCDR_INTERNAL: return "Neo.DatabaseError.General.UnknownError";
  }
  return "Neo.DatabaseError.General.UnknownError";
}

#define CCDR_MESSAGE_MAX 1024

/* OWNERSHIP: caller. Passed as an optional out parameter (NULL = caller does
 * not want details). The callee writes status and a NUL-terminated message,
 * truncated to fit. The callee checks hdr.struct_size before writing. */
typedef struct ccdr_error {
  ccdr_header hdr;
  int32_t status; /* ccdr_status */
  char message[CCDR_MESSAGE_MAX];
} ccdr_error;

/* ------------------------------------------------------------------------ */
/* Views and values (frozen layout, no header)                               */
/* ------------------------------------------------------------------------ */

/* UTF-8 text, not NUL-terminated. OWNERSHIP: borrowed for the call. */
typedef struct ccdr_string {
  const char *data;
  size_t len;
} ccdr_string;

/* Raw bytes. OWNERSHIP: borrowed for the call. */
typedef struct ccdr_bytes {
  const uint8_t *data;
  size_t len;
} ccdr_bytes;

typedef enum ccdr_value_type {
  CCDR_VALUE_NULL = 0,
  CCDR_VALUE_BOOLEAN = 1,
  CCDR_VALUE_INTEGER = 2,
  CCDR_VALUE_FLOAT = 3,
  CCDR_VALUE_STRING = 4,
  CCDR_VALUE_BYTES = 5,
  CCDR_VALUE_LIST = 6,
  CCDR_VALUE_MAP = 7
} ccdr_value_type;

typedef struct ccdr_value ccdr_value;
typedef struct ccdr_map_entry ccdr_map_entry;

/* A typed value, as procedures take and return them. A tree of borrowed
 * views. OWNERSHIP: borrowed for the call; the receiver copies what it keeps. */
struct ccdr_value {
  uint32_t type; /* ccdr_value_type */
  uint32_t reserved;
  union {
    int32_t boolean; /* 0 or 1 */
    int64_t integer;
    double floating;
    ccdr_string string;
    ccdr_bytes bytes;
    struct {
      const ccdr_value *items;
      size_t count;
    } list;
    struct {
      const ccdr_map_entry *entries;
      size_t count;
    } map;
  } as;
};

/* One key and value of a CCDR_VALUE_MAP. OWNERSHIP: as the ccdr_value that
 * holds it (borrowed for the call). */
struct ccdr_map_entry {
  ccdr_string key;
  ccdr_value value;
};

/* One committed transaction of the transaction log: the id the upstream gave
 * it, its commit time, and the host's logical change record (opaque to the
 * plugin). OWNERSHIP: borrowed for the call. */
typedef struct ccdr_tx {
  uint64_t tx_id;
  int64_t commit_time_ms; /* Unix epoch, milliseconds, upstream clock */
  ccdr_bytes payload;
} ccdr_tx;

/* ------------------------------------------------------------------------ */
/* Opaque handles                                                            */
/* ------------------------------------------------------------------------ */

/* One logical server of the host (a host may run several in one process, each
 * with its own plugin instance). OWNERSHIP: host; valid from create until
 * destroy of the plugin instance it was given to. */
typedef struct ccdr_host_ctx ccdr_host_ctx;

/* One plugin instance. OWNERSHIP: plugin; created by create, freed by destroy. */
typedef struct ccdr_plugin_ctx ccdr_plugin_ctx;

/* (1.2) One replicated transaction being applied in parts (apply_tx_begin).
 * OWNERSHIP: host; created by apply_tx_begin, freed by apply_tx_commit
 * (whatever it returns) or apply_tx_abort. */
typedef struct ccdr_apply_tx ccdr_apply_tx;

/* (1.2) One logged transaction being read in pieces (log_tx_open).
 * OWNERSHIP: host; created by log_tx_open, freed by log_tx_close. */
typedef struct ccdr_log_tx ccdr_log_tx;

/* ------------------------------------------------------------------------ */
/* Sinks (results flow from the callee to the caller through these)          */
/* ------------------------------------------------------------------------ */

/* Receives one string. OWNERSHIP: caller (it passes the sink); the callee
 * calls set() at most once, on the calling thread, before it returns. The
 * view is valid only during set(); set() must not call into the other side. */
typedef struct ccdr_string_sink {
  ccdr_header hdr;
  void *ctx;
  void (*set)(void *ctx, ccdr_string value);
} ccdr_string_sink;

/* Receives one value. OWNERSHIP: caller; set() at most once, on the calling
 * thread, before the callee returns. The value tree is valid only during
 * set(); set() must not call into the other side. */
typedef struct ccdr_value_sink {
  ccdr_header hdr;
  void *ctx;
  void (*set)(void *ctx, const ccdr_value *value);
} ccdr_value_sink;

/* ------------------------------------------------------------------------ */
/* Logging                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum ccdr_log_level {
  CCDR_LOG_DEBUG = 10,
  CCDR_LOG_INFO = 20,
  CCDR_LOG_WARN = 30,
  CCDR_LOG_ERROR = 40
} ccdr_log_level;

/* ------------------------------------------------------------------------ */
/* Settings                                                                  */
/* ------------------------------------------------------------------------ */

typedef enum ccdr_setting_type {
  CCDR_SETTING_STRING = 1,
  CCDR_SETTING_BOOLEAN = 2,
  CCDR_SETTING_INTEGER = 3,
  CCDR_SETTING_DURATION = 4, /* "500ms", "10s", "5m" */
  CCDR_SETTING_SIZE = 5,     /* "64KiB", "1MiB", "4096" */
  CCDR_SETTING_ENUM = 6,
  CCDR_SETTING_LIST = 7      /* comma-separated */
} ccdr_setting_type;

/* A setting the plugin declares. OWNERSHIP: plugin, static storage in the
 * plugin's image (valid until the host unloads the library). */
typedef struct ccdr_setting_def {
  ccdr_header hdr;
  ccdr_string name;          /* the full key, e.g. "ccdr.batch.max_bytes" */
  ccdr_string default_value; /* as it would be written in neo4j.conf */
  ccdr_string description;
  uint32_t type;             /* ccdr_setting_type, for display; validate_setting decides */
  uint32_t reserved;
} ccdr_setting_def;

/* What the host knows of the logical server a plugin instance serves.
 * OWNERSHIP: host; valid only during ccdr_server_info_sink.set(). */
typedef struct ccdr_server_info {
  ccdr_header hdr;
  ccdr_string server_id;       /* stable id of the logical server, unique in its cluster */
  ccdr_string cluster_id;      /* stable id of the cluster: the same on every server of one
                                  cluster, different between clusters (said in the
                                  replication handshake, names peers in metrics) */
  ccdr_string bolt_address;    /* host:port clients use */
  ccdr_string cluster_address; /* host:port the plugin listens on for replication */
  ccdr_string data_directory;  /* absolute; private to this plugin instance; exists */
  ccdr_string host_name;       /* product name of the host, e.g. "ccdr-refhost" */
  ccdr_string host_version;
} ccdr_server_info;

/* OWNERSHIP: caller (the plugin); set() once, on the calling thread. */
typedef struct ccdr_server_info_sink {
  ccdr_header hdr;
  void *ctx;
  void (*set)(void *ctx, const ccdr_server_info *info); /* info valid only during set() */
} ccdr_server_info_sink;

/* ------------------------------------------------------------------------ */
/* Procedures                                                                */
/* ------------------------------------------------------------------------ */

/* Declared types of procedure arguments and output columns. */
typedef enum ccdr_type {
  CCDR_TYPE_ANY = 0,
  CCDR_TYPE_BOOLEAN = 1,
  CCDR_TYPE_INTEGER = 2,
  CCDR_TYPE_FLOAT = 3,
  CCDR_TYPE_STRING = 4,
  CCDR_TYPE_BYTES = 5,
  CCDR_TYPE_LIST = 6, /* LIST<ANY> */
  CCDR_TYPE_MAP = 7,
  CCDR_TYPE_LIST_OF_STRING = 8,
  CCDR_TYPE_LIST_OF_INTEGER = 9,
  CCDR_TYPE_LIST_OF_MAP = 10
} ccdr_type;

#define CCDR_FIELD_OPTIONAL 1u /* the argument may be omitted: default_value is passed */

/* One argument or output column of a procedure. Frozen layout. OWNERSHIP:
 * plugin; borrowed for register_procedure (the host copies what it keeps). */
typedef struct ccdr_field {
  ccdr_string name;
  uint32_t type;  /* ccdr_type */
  uint32_t flags; /* CCDR_FIELD_* */
  ccdr_value default_value;
  ccdr_string description;
} ccdr_field;

typedef enum ccdr_procedure_mode {
  CCDR_MODE_READ = 1,
  CCDR_MODE_WRITE = 2,
  CCDR_MODE_DBMS = 3
} ccdr_procedure_mode;

/* Who calls a procedure, and from where. OWNERSHIP: host, borrowed. */
typedef struct ccdr_call_info {
  ccdr_header hdr;
  ccdr_string user;     /* the authenticated user ("" when auth is disabled) */
  ccdr_string database; /* the database the session runs the call on */
  int32_t is_admin;     /* the user has the admin role */
  int32_t reserved;
} ccdr_call_info;

/* Receives the rows a procedure yields. OWNERSHIP: host; borrowed by the
 * procedure for its call only. */
typedef struct ccdr_row_sink {
  ccdr_header hdr;
  void *ctx;
  /* One row; `values` are in the order of the procedure's output columns and
   * borrowed for this call (the host copies them). Returns CCDR_STOPPED when
   * the consumer wants no more rows. The plugin calls it only on the thread
   * running the procedure, before the procedure returns. It does not block
   * on the client (the host buffers rows) and never calls back into the
   * plugin. */
  ccdr_status (*emit)(void *ctx, const ccdr_value *values, size_t count);
} ccdr_row_sink;

/* A procedure body. The host has checked the caller's role (admin_only) and
 * converted every argument to its declared type (a FLOAT with an integral
 * value becomes an INTEGER; anything else that does not fit is refused with
 * CCDR_PROCEDURE_CALL_FAILED before the call), and filled omitted optional
 * arguments with their defaults. Thread: a host session thread; concurrent.
 * May block (network, waiting for appliers). May call back into the host. */
typedef ccdr_status (*ccdr_procedure_fn)(void *user_data, const ccdr_call_info *call,
                                         const ccdr_value *args, size_t arg_count,
                                         const ccdr_row_sink *rows, ccdr_error *err);

/* OWNERSHIP: borrowed for register_procedure; the host copies what it keeps.
 * user_data is the plugin's and must stay valid until destroy. */
typedef struct ccdr_procedure_def {
  ccdr_header hdr;
  ccdr_string name; /* qualified, e.g. "internal.dbms.createReplicaDatabase" */
  ccdr_string description;
  const ccdr_field *args;
  size_t arg_count;
  const ccdr_field *outputs;
  size_t output_count;
  uint32_t mode;       /* ccdr_procedure_mode */
  uint32_t admin_only; /* non-zero: callers without the admin role get CCDR_FORBIDDEN */
  ccdr_procedure_fn fn;
  void *user_data;
} ccdr_procedure_def;

/* ------------------------------------------------------------------------ */
/* Commit path                                                               */
/* ------------------------------------------------------------------------ */

typedef enum ccdr_origin {
  CCDR_ORIGIN_USER = 1,       /* a client's write */
  CCDR_ORIGIN_REPLICATION = 2 /* apply_batch on behalf of the plugin */
} ccdr_origin;

/* The transaction before_commit decides on. OWNERSHIP: host; borrowed for
 * the before_commit call. */
typedef struct ccdr_commit_info {
  ccdr_header hdr;
  ccdr_string database;
  uint32_t origin; /* ccdr_origin */
  uint32_t reserved;
  ccdr_string user; /* "" for replication */
} ccdr_commit_info;

/* ------------------------------------------------------------------------ */
/* Transaction log                                                           */
/* ------------------------------------------------------------------------ */

/* The bounds of a member's transaction log. OWNERSHIP: caller (the plugin
 * passes it, header filled); log_info writes it before returning. */
typedef struct ccdr_log_info {
  ccdr_header hdr;
  uint64_t last_committed_tx;   /* 0 when nothing was ever committed */
  int64_t last_commit_time_ms;  /* commit time of last_committed_tx; 0 if none */
  uint64_t oldest_retained_tx;  /* smallest id read_log can return; last+1 if none kept */
} ccdr_log_info;

/* Visits transactions in id order. OWNERSHIP: caller (the plugin); the host
 * calls visit() only during read_log, on the calling thread. */
typedef struct ccdr_tx_visitor {
  ccdr_header hdr;
  void *ctx;
  /* `tx` is valid only during the call. Return CCDR_OK to continue, anything
   * else to stop (read_log then returns CCDR_OK if it was CCDR_STOPPED, else
   * that status). */
  ccdr_status (*visit)(void *ctx, const ccdr_tx *tx);
} ccdr_tx_visitor;

/* ------------------------------------------------------------------------ */
/* Snapshots (store copy)                                                    */
/* ------------------------------------------------------------------------ */

/* OWNERSHIP: the side that passes it (the host to snapshot_sink.begin, the
 * plugin to snapshot_import and snapshot_import_file); borrowed for that
 * call. For snapshot_export_file (1.2) the plugin passes it with its own
 * header and the host fills it. */
typedef struct ccdr_snapshot_info {
  ccdr_header hdr;
  uint64_t tx_id;         /* the snapshot contains exactly transactions 1..tx_id */
  int64_t commit_time_ms; /* commit time of tx_id */
  uint64_t total_bytes;   /* the exact number of bytes the chunks will carry */
} ccdr_snapshot_info;

/* Receives a snapshot: begin() once, then chunk() in order until total_bytes
 * were delivered. Any non-OK return aborts the export with that status.
 * OWNERSHIP: caller (the plugin); the host calls it only during
 * snapshot_export, on the calling thread. begin() and chunk() may block (the
 * plugin writes its spool file) and must not call into the host. */
typedef struct ccdr_snapshot_sink {
  ccdr_header hdr;
  void *ctx;
  ccdr_status (*begin)(void *ctx, const ccdr_snapshot_info *info);
  ccdr_status (*chunk)(void *ctx, ccdr_bytes data); /* data valid only during the call */
} ccdr_snapshot_sink;

/* Supplies a snapshot to import. OWNERSHIP: caller (the plugin); the host
 * calls read() only during snapshot_import, on the calling thread. */
typedef struct ccdr_snapshot_source {
  ccdr_header hdr;
  void *ctx;
  /* Copies up to `cap` bytes into `buf` (host-owned, `cap` bytes), sets
   * *out_len; *out_len == 0 means the end. A non-OK status aborts the import.
   * May block (the plugin reads its spool file); never calls into the host. */
  ccdr_status (*read)(void *ctx, uint8_t *buf, size_t cap, size_t *out_len);
} ccdr_snapshot_source;

/* ------------------------------------------------------------------------ */
/* Databases                                                                 */
/* ------------------------------------------------------------------------ */

typedef enum ccdr_database_kind {
  CCDR_KIND_STANDARD = 1,
  CCDR_KIND_REPLICA = 2,
  CCDR_KIND_SYSTEM = 3
} ccdr_database_kind;

typedef enum ccdr_member_role {
  CCDR_ROLE_PRIMARY = 1,
  CCDR_ROLE_SECONDARY = 2
} ccdr_member_role;

typedef enum ccdr_database_state {
  CCDR_DB_ONLINE = 1,
  CCDR_DB_OFFLINE = 2,
  CCDR_DB_STARTING = 3,
  CCDR_DB_STOPPING = 4,
  CCDR_DB_STORE_COPYING = 5,
  CCDR_DB_UNKNOWN = 6 /* the member's server is unreachable */
} ccdr_database_state;

/* What create_database makes. OWNERSHIP: caller, borrowed. */
typedef struct ccdr_database_spec {
  ccdr_header hdr;
  ccdr_string name;
  uint32_t kind; /* ccdr_database_kind: STANDARD or REPLICA */
  uint32_t primaries;
  uint32_t secondaries;
  uint32_t reserved;
  ccdr_string store_id; /* "" = the host generates one; a replica passes its upstream's */
  uint64_t epoch;       /* lineage epoch; 0 = the host's initial epoch (1) */
  const ccdr_map_entry *options; /* stored as database options (see get_database_option) */
  size_t option_count;
} ccdr_database_spec;

/* One member (copy) of a database. OWNERSHIP: host; valid as long as the
 * ccdr_database_info that holds it. */
typedef struct ccdr_member_info {
  ccdr_header hdr;
  ccdr_string server_id;
  ccdr_string bolt_address;
  ccdr_string cluster_address;
  uint32_t role;      /* ccdr_member_role */
  uint32_t is_writer; /* accepts writes (never for a replica) */
  uint32_t state;     /* ccdr_database_state as the host sees it */
  uint32_t is_local;  /* hosted by the server of the calling ccdr_host_ctx */
  uint64_t last_committed_tx;
  /* --- 1.2: read only when CCDR_HAS_FIELD(member, ccdr_member_info, ...) --- */
  int64_t last_commit_time_ms; /* commit time of last_committed_tx; 0 if none or unknown */
} ccdr_member_info;

/* A database as the host's system database knows it. OWNERSHIP: host; it
 * and everything it points to are valid only during
 * ccdr_database_info_sink.set(). */
typedef struct ccdr_database_info {
  ccdr_header hdr;
  ccdr_string name;
  uint32_t kind;             /* ccdr_database_kind */
  uint32_t requested_online; /* non-zero when started, zero when stopped */
  uint32_t primaries;        /* requested topology */
  uint32_t secondaries;
  ccdr_string store_id;
  uint64_t epoch;
  const ccdr_member_info *members;
  size_t member_count;
} ccdr_database_info;

/* OWNERSHIP: caller (the plugin); set() once, on the calling thread, and it
 * must not call into the host. */
typedef struct ccdr_database_info_sink {
  ccdr_header hdr;
  void *ctx;
  void (*set)(void *ctx, const ccdr_database_info *info); /* valid only during set() */
} ccdr_database_info_sink;

/* ------------------------------------------------------------------------ */
/* Events, status, metrics                                                   */
/* ------------------------------------------------------------------------ */

typedef enum ccdr_event_kind {
  CCDR_EVENT_CREATED = 1,  /* a member was allocated on this server */
  CCDR_EVENT_STARTED = 2,  /* the member is online (also sent for every member at plugin start) */
  CCDR_EVENT_STOPPED = 3,  /* the member went offline (STOP DATABASE, promotion, shutdown) */
  CCDR_EVENT_DROPPED = 4,  /* the member and its store are gone */
  CCDR_EVENT_PROMOTED = 5  /* the database changed kind from REPLICA to STANDARD */
} ccdr_event_kind;

/* OWNERSHIP: host; borrowed for the on_database_event call. */
typedef struct ccdr_database_event {
  ccdr_header hdr;
  ccdr_string database;
  uint32_t event; /* ccdr_event_kind */
  uint32_t role;  /* ccdr_member_role of the member on this server */
  uint32_t kind;  /* ccdr_database_kind after the event */
  uint32_t reserved;
} ccdr_database_event;

typedef enum ccdr_replica_state {
  CCDR_REPLICA_NONE = 0,        /* not a replica member of this plugin */
  CCDR_REPLICA_CREATING = 1,
  CCDR_REPLICA_STORE_COPY = 2,
  CCDR_REPLICA_CATCHING_UP = 3,
  CCDR_REPLICA_STREAMING = 4,
  CCDR_REPLICA_DISCONNECTED = 5, /* retrying */
  CCDR_REPLICA_FAILED = 6,       /* stopped on an error an operator must look at */
  CCDR_REPLICA_STOPPED = 7
} ccdr_replica_state;

#define CCDR_STATUS_MESSAGE_MAX 256

/* What SHOW DATABASE shows for a member. OWNERSHIP: caller (the host passes
 * it, header filled); describe_database writes it before returning. */
typedef struct ccdr_database_status {
  ccdr_header hdr;
  uint32_t state;   /* ccdr_replica_state */
  uint32_t has_lag; /* lag_tx and lag_seconds are meaningful */
  int64_t lag_tx;   /* upstream last committed minus this member's last applied, >= 0 */
  double lag_seconds;
  char message[CCDR_STATUS_MESSAGE_MAX]; /* NUL-terminated, e.g. "store copy 41% (...)" */
} ccdr_database_status;

typedef enum ccdr_metric_type {
  CCDR_METRIC_GAUGE = 1,
  CCDR_METRIC_COUNTER = 2
} ccdr_metric_type;

/* One metric. OWNERSHIP: plugin; valid only during ccdr_metric_sink.emit(). */
typedef struct ccdr_metric {
  ccdr_header hdr;
  /* Dotted name without the host's prefix, e.g.
   * "database.foo-replica.ccdr.replica.lag_tx" or "dbms.ccdr.connections". */
  ccdr_string name;
  uint32_t type; /* ccdr_metric_type */
  uint32_t reserved;
  double value;
} ccdr_metric;

/* OWNERSHIP: caller (the host); the plugin calls emit() only during
 * collect_metrics, on the calling thread. emit() never blocks and never
 * calls back into the plugin. */
typedef struct ccdr_metric_sink {
  ccdr_header hdr;
  void *ctx;
  void (*emit)(void *ctx, const ccdr_metric *metric); /* metric valid only during emit() */
} ccdr_metric_sink;

/* ------------------------------------------------------------------------ */
/* Content fingerprints (added in 1.1)                                       */
/* ------------------------------------------------------------------------ */

/* A canonical digest of a member's content (what a user can read: nodes,
 * labels, relationships, properties and the ids the host keeps for them; not
 * the log, not the commit times) at one transaction. Two members of one
 * lineage at the same tx_id have equal fingerprints exactly when their
 * contents are equal. OWNERSHIP: host; valid only during set(). */
typedef struct ccdr_fingerprint {
  ccdr_header hdr;
  uint64_t tx_id;          /* the last committed tx the digest covers */
  ccdr_string algorithm;   /* names the canonical form, e.g. "refhost-graph-sha256-v1" */
  ccdr_string fingerprint; /* the digest, lowercase hexadecimal */
} ccdr_fingerprint;

/* OWNERSHIP: caller (the plugin); set() once, on the calling thread, and it
 * must not call into the host. */
typedef struct ccdr_fingerprint_sink {
  ccdr_header hdr;
  void *ctx;
  void (*set)(void *ctx, const ccdr_fingerprint *fingerprint);
} ccdr_fingerprint_sink;

/* ------------------------------------------------------------------------ */
/* Users and roles (added in 1.2)                                            */
/* ------------------------------------------------------------------------ */

/* One user of the host's cluster and the roles granted to it, as the host
 * names them (Neo4j: "PUBLIC", "reader", "editor", ..., "admin"). Never a
 * password or a hash. OWNERSHIP: host; valid only during the sink call. */
typedef struct ccdr_user_info {
  ccdr_header hdr;
  ccdr_string name;
  const ccdr_string *roles; /* role_count names, sorted */
  size_t role_count;
} ccdr_user_info;

typedef struct ccdr_user_sink {
  ccdr_header hdr;
  void *ctx;
  /* One user. A non-OK return stops the listing; list_users returns it. */
  ccdr_status (*user)(void *ctx, const ccdr_user_info *user);
} ccdr_user_sink;

/* ------------------------------------------------------------------------ */
/* Replica subscriptions (added in 1.2)                                      */
/* ------------------------------------------------------------------------ */

/* One replica member subscribed to a database of this cluster: a live pull
 * session (SUBSCRIBE) served by one server's plugin instance. Filled by the
 * plugin instance of the serving server (list_subscriptions); a host passes
 * it through cluster_subscriptions unchanged, so a reader checks the
 * filler's struct_size with CCDR_HAS_FIELD. OWNERSHIP: the plugin that
 * filled it; valid only during the sink call. */
typedef struct ccdr_subscription_info {
  ccdr_header hdr;
  ccdr_string upstream_database;  /* the database of this cluster it pulls */
  ccdr_string upstream_server_id; /* the server serving it (ccdr_server_info.server_id) */
  ccdr_string upstream_address;   /* that server's cluster address */
  ccdr_string replica_cluster_id; /* as the replica said in HELLO */
  ccdr_string replica_server_id;
  ccdr_string replica_database;
  ccdr_string remote_address;     /* the replica's peer address, host:port */
  int64_t connected_since_ms;     /* Unix epoch ms (serving server's clock) of SUBSCRIBED */
  uint64_t acknowledged_tx;       /* the last tx the replica ACKed as applied */
  uint64_t upstream_last_tx;      /* the serving member's last committed tx */
  uint64_t lag_tx;                /* upstream_last_tx - acknowledged_tx, 0 if less */
  double lag_seconds;             /* 0 when lag_tx is 0; else now - commit time of
                                     the oldest tx not acknowledged (serving clock) */
  uint64_t bytes_sent;            /* wire bytes of the batches sent on this session */
  uint64_t store_copies_served;   /* complete store copies sent to this replica member
                                     (database, cluster, server, replica database)
                                     since the serving instance started */
  /* Appended with the log hold group (ccdr_plugin_api.log_hold); a reader
   * checks CCDR_HAS_FIELD. Seconds until the serving server would prune
   * its log past acknowledged_tx at the current rate of log growth and the
   * hold's cap; 0 when the hold was released (the member needs a store
   * copy); -1 when that server holds no log for replicas. */
  double catch_up_window_seconds;
} ccdr_subscription_info;

/* OWNERSHIP: caller; called only during the call it was passed to, on the
 * calling thread; neither function may call into the host or the plugin. */
typedef struct ccdr_subscription_sink {
  ccdr_header hdr;
  void *ctx;
  /* One subscription. A non-OK return stops the listing; the callee returns it. */
  ccdr_status (*subscription)(void *ctx, const ccdr_subscription_info *info);
  /* cluster_subscriptions only: server `server_id` of the cluster could not
   * answer (`status`, `message` say why). Called once per such server; the
   * listing goes on with the other servers. A non-OK return stops it. */
  ccdr_status (*server_failed)(void *ctx, ccdr_string server_id, ccdr_status status, ccdr_string message);
} ccdr_subscription_sink;

/* ------------------------------------------------------------------------ */
/* Transactions undone when a database rejoins another history (added in 1.2) */
/* ------------------------------------------------------------------------ */

/* One transaction make_replica is about to undo. OWNERSHIP: host; valid
 * only during ccdr_undone_sink.tx(). */
typedef struct ccdr_undone_tx {
  ccdr_header hdr;
  uint64_t tx_id;
  int64_t commit_time_ms;
  ccdr_bytes payload;  /* as read_log returns it */
  ccdr_string changes; /* the host's rendering of the changes as one JSON value, for an operator */
} ccdr_undone_tx;

/* OWNERSHIP: caller (the plugin); the host calls tx() only during
 * make_replica, on the calling thread, in id order, before it changes
 * anything. tx() may block (the plugin writes and syncs a file) and must
 * not call into the host. A non-OK return stops make_replica with that
 * status and nothing changed. */
typedef struct ccdr_undone_sink {
  ccdr_header hdr;
  void *ctx;
  ccdr_status (*tx)(void *ctx, const ccdr_undone_tx *tx);
} ccdr_undone_sink;

/* ------------------------------------------------------------------------ */
/* The log held for replicas (added in 1.2)                                  */
/* ------------------------------------------------------------------------ */

/* What the host tells the plugin before it prunes the log of its member of
 * `database` (ccdr_plugin_api.log_hold), so the plugin can keep the log a
 * replica member still needs, within its own cap (sizes and ages of the
 * log come from measure_log). OWNERSHIP: host; valid only during log_hold. */
typedef struct ccdr_log_prune_info {
  ccdr_header hdr;
  ccdr_string database;
  uint64_t oldest_retained_tx;     /* as log_info says, before this pruning */
  uint64_t last_committed_tx;
  int64_t last_commit_time_ms;
  uint64_t retention_keep_from_tx; /* the oldest tx the host's retention policy
                                      keeps; the host prunes every tx below it
                                      unless the plugin answers lower */
  int64_t now_ms;                  /* the host's clock, Unix epoch ms */
  void *log_ctx;
  /* The payload bytes of the log from from_tx to the last committed tx and
   * the commit time of from_tx (0 bytes and time 0 when from_tx is past the
   * last tx). CCDR_LOG_PRUNED when from_tx < oldest_retained_tx. Blocks
   * briefly (reads the log); called only during log_hold, on its thread;
   * never calls back. */
  ccdr_status (*measure_log)(void *log_ctx, uint64_t from_tx, uint64_t *bytes, int64_t *commit_time_ms);
} ccdr_log_prune_info;

/* ------------------------------------------------------------------------ */
/* The host's vtable (host -> plugin)                                        */
/* ------------------------------------------------------------------------ */

/* OWNERSHIP: host; valid from ccdr_plugin_entry until the host unloads the
 * plugin. Every function is thread-safe. `host` is the ccdr_host_ctx the
 * plugin instance received in create(). */
typedef struct ccdr_host_api {
  ccdr_header hdr;

  /* --- logging --- */
  /* Writes one line to the host's log (logs/debug.log). Never blocks for
   * long; never calls back. */
  void (*log)(ccdr_host_ctx *host, uint32_t level, ccdr_string message);

  /* --- settings --- */
  /* The effective value of any setting the host knows (neo4j.conf keys and
   * declared ccdr.* keys, defaults applied). Per-server settings such as
   * server.cluster.listen_address give this server's value; directories are
   * absolute. CCDR_INVALID_ARGUMENT for an unknown key. Never blocks; never
   * calls back. */
  ccdr_status (*get_setting)(ccdr_host_ctx *host, ccdr_string key, const ccdr_string_sink *out,
                             ccdr_error *err);
  /* Identity and addresses of this logical server. Never blocks. */
  ccdr_status (*server_info)(ccdr_host_ctx *host, const ccdr_server_info_sink *out,
                             ccdr_error *err);

  /* --- procedures --- */
  /* Registers a procedure on this server. Only during create() or start().
   * CCDR_INVALID_ARGUMENT if the name is taken or the definition is malformed.
   * Never blocks; never calls back. */
  ccdr_status (*register_procedure)(ccdr_host_ctx *host, const ccdr_procedure_def *def,
                                    ccdr_error *err);

  /* --- transaction log (of this server's member of `database`) --- */
  /* CCDR_DATABASE_NOT_FOUND if the database has no member on this server.
   * Blocks briefly (storage). Never calls back. */
  ccdr_status (*log_info)(ccdr_host_ctx *host, ccdr_string database, ccdr_log_info *out,
                          ccdr_error *err);
  /* Visits committed transactions with ids >= from_tx, in order, until the
   * visitor stops, the log ends, or the payloads visited reach max_bytes (at
   * least one transaction is visited if any exists). CCDR_LOG_PRUNED, having
   * visited nothing, if from_tx < oldest_retained_tx. Blocks (storage). Calls
   * the visitor on the calling thread; the visitor must not call into the
   * host. */
  ccdr_status (*read_log)(ccdr_host_ctx *host, ccdr_string database, uint64_t from_tx,
                          uint64_t max_bytes, const ccdr_tx_visitor *visitor, ccdr_error *err);

  /* --- apply --- */
  /* Applies replicated transactions to this server's member, in one storage
   * transaction, durably, keeping their ids and commit times; the member's
   * last committed id is written in the same storage transaction. txs[0]
   * must be last_committed_tx + 1 and ids consecutive, else
   * CCDR_OUT_OF_ORDER and nothing changes. Any failure changes nothing.
   * Blocks (storage, fsync). Calls back before_commit (origin REPLICATION)
   * and after_commit (once, with the last id) on the calling thread. */
  ccdr_status (*apply_batch)(ccdr_host_ctx *host, ccdr_string database, const ccdr_tx *txs,
                             size_t count, ccdr_error *err);

  /* --- snapshots --- */
  /* Streams a consistent copy of this server's member at its current last
   * committed tx into the sink. Blocks (storage); calls the sink on the
   * calling thread; the sink must not call into the host. */
  ccdr_status (*snapshot_export)(ccdr_host_ctx *host, ccdr_string database,
                                 const ccdr_snapshot_sink *sink, ccdr_error *err);
  /* Replaces this server's member's store, atomically, with a snapshot read
   * from the source. On success the member's last committed tx is
   * info->tx_id and its log is empty (oldest_retained_tx = tx_id + 1). On
   * failure the old store is untouched. Blocks. */
  ccdr_status (*snapshot_import)(ccdr_host_ctx *host, ccdr_string database,
                                 const ccdr_snapshot_info *info,
                                 const ccdr_snapshot_source *source, ccdr_error *err);

  /* --- databases (cluster-wide, through the host's system database) --- */
  /* Creates a database and allocates its members to servers respecting their
   * mode constraints. CCDR_INVALID_ARGUMENT if the name is taken or invalid,
   * or the topology cannot be satisfied (the message says why). Blocks.
   * Delivers CREATED and STARTED events to the plugin instances of the
   * members' servers (possibly this one) before it returns. */
  ccdr_status (*create_database)(ccdr_host_ctx *host, const ccdr_database_spec *spec,
                                 ccdr_error *err);
  /* Drops a database: stops its members, then deletes them and their stores.
   * CCDR_DATABASE_NOT_FOUND if there is none. Delivers STOPPED and DROPPED
   * events. Blocks. */
  ccdr_status (*drop_database)(ccdr_host_ctx *host, ccdr_string name, ccdr_error *err);
  /* Promotion: makes a REPLICA database STANDARD with a new epoch. The host
   * stops every member (STOPPED events; their appliers end), brings all
   * members to the most advanced member's last committed tx, elects a writer
   * among the primaries, records kind and epoch, and restarts the members
   * (PROMOTED then STARTED events). CCDR_INVALID_ARGUMENT for any other kind
   * change. Blocks. */
  ccdr_status (*set_database_kind)(ccdr_host_ctx *host, ccdr_string name, uint32_t kind,
                                   uint64_t epoch, ccdr_error *err);
  /* Changes the requested topology; members are added or removed (CREATED,
   * STARTED, STOPPED, DROPPED events). CCDR_INVALID_ARGUMENT when the servers
   * cannot satisfy it. Blocks. */
  ccdr_status (*set_topology)(ccdr_host_ctx *host, ccdr_string name, uint32_t primaries,
                              uint32_t secondaries, ccdr_error *err);
  /* Describes a database. CCDR_DATABASE_NOT_FOUND if there is none. Blocks
   * briefly (reads the system database). Never calls back into the plugin;
   * the sink must not call into the host. */
  ccdr_status (*database_info)(ccdr_host_ctx *host, ccdr_string name,
                               const ccdr_database_info_sink *out, ccdr_error *err);
  /* Stores (value != NULL) or removes (value == NULL) a database option in
   * the system database; shown by SHOW DATABASE ... YIELD options.
   * CCDR_DATABASE_NOT_FOUND if there is no such database. Blocks (a durable
   * write to the system database). Never calls back into the plugin. */
  ccdr_status (*set_database_option)(ccdr_host_ctx *host, ccdr_string name, ccdr_string key,
                                     const ccdr_value *value, ccdr_error *err);
  /* Reads a database option; the sink receives a NULL value when unset.
   * CCDR_DATABASE_NOT_FOUND if there is no such database. Blocks briefly
   * (reads the system database). Never calls back into the plugin; the sink
   * must not call into the host. */
  ccdr_status (*get_database_option)(ccdr_host_ctx *host, ccdr_string name, ccdr_string key,
                                     const ccdr_value_sink *out, ccdr_error *err);

  /* --- Version 1.1 --- */
  /* A plugin calls this only when CCDR_HAS_FIELD(api, ccdr_host_api,
   * content_fingerprint) holds and the pointer is not NULL; otherwise it
   * reports CCDR_UNSUPPORTED itself. */

  /* The fingerprint of one member of `database` as of one transaction: the
   * member on the server named `server_id` (as in ccdr_member_info), or this
   * server's member when server_id is empty. tx_id and digest come from one
   * consistent read of the store. CCDR_DATABASE_NOT_FOUND when there is no
   * such database or no member on that server; CCDR_DATABASE_UNAVAILABLE
   * when the member is not online. Blocks (reads the whole store). Never
   * calls back; the sink must not call into the host. */
  ccdr_status (*content_fingerprint)(ccdr_host_ctx *host, ccdr_string database, ccdr_string server_id,
                                     const ccdr_fingerprint_sink *out, ccdr_error *err);

  /* --- Version 1.2 --- */
  /* Functions appended in 1.2, in groups. A plugin calls one only when
   * CCDR_HAS_FIELD(api, ccdr_host_api, <function>) holds and the pointer is
   * not NULL; otherwise it reports CCDR_UNSUPPORTED itself. */

  /* 1.2, users and roles (internal.dbms.compareSecurity: are the users of a
   * replica's cluster and of its upstream's cluster the same?).
   * Every user of this cluster with its roles, one sink call per user, in
   * name order, as of one read of the host's user store. Blocks briefly.
   * Never calls back; the sink must not call into the host. */
  ccdr_status (*list_users)(ccdr_host_ctx *host, const ccdr_user_sink *out, ccdr_error *err);

  /* 1.2, promotion with a new topology in one step
   * (internal.dbms.promoteReplicaDatabaseWithTopology). What
   * set_topology(primaries, secondaries) and then set_database_kind(STANDARD,
   * epoch) would do, as one change: the members stop (STOPPED events), every
   * member that stays and every new one is brought to the most advanced
   * member's last committed tx (copied inside this cluster), a writer is
   * elected among the new primaries, and kind, epoch and topology are
   * recorded together. Then members that leave are deleted (DROPPED), new
   * ones hear CREATED, the others PROMOTED, and all STARTED. On ANY failure
   * nothing has changed: the database is the same replica with the same
   * members, stores and topology, its members restart (STARTED) and the
   * error says which step failed. CCDR_INVALID_ARGUMENT when the database is
   * not a replica, primaries is 0, or the servers cannot satisfy the
   * topology. Blocks. */
  ccdr_status (*promote_with_topology)(ccdr_host_ctx *host, ccdr_string name, uint64_t epoch,
                                       uint32_t primaries, uint32_t secondaries, ccdr_error *err);

  /* 1.2, replica subscriptions (internal.dbms.showReplicaSubscriptions: the
   * upstream cluster sees its replicas).
   * The subscriptions served by every server of this cluster, this one
   * included: the host calls ccdr_plugin_api.list_subscriptions(database,
   * out) on the calling plugin's instance of each server (reaching the
   * other servers as it does for content_fingerprint) and passes the rows
   * through unchanged. A server whose instance cannot answer (down,
   * unreachable, a plugin vtable without list_subscriptions, or the hook
   * failed) gets one out->server_failed call naming it and the reason; it
   * is never skipped silently. `database` empty: every database. Returns
   * CCDR_OK, or what a sink function returned to stop. Blocks (asks every
   * server). Calls back list_subscriptions on the plugin instances; the
   * sink must not call into the host. */
  ccdr_status (*cluster_subscriptions)(ccdr_host_ctx *host, ccdr_string database,
                                       const ccdr_subscription_sink *out, ccdr_error *err);

  /* 1.2, switching regions (internal.dbms.switchoverReplicaDatabase,
   * internal.dbms.reattachAsReplica, fence on heal). */

  /* Fences (read_only non-zero) or unfences (zero) a STANDARD database on
   * every member, durably (it survives restarts), as ALTER DATABASE ... SET
   * ACCESS READ ONLY | READ WRITE does: from the return on, every user write
   * on any member is refused (CCDR_READ_ONLY_DATABASE's Neo4j code); a write
   * in flight either committed before the return or is refused. `reason`
   * (may be empty) is kept while fenced and shown in the members' status
   * message. When read_only is set and last_tx is not NULL, *last_tx is the
   * database's last committed transaction at the fence: no user write
   * commits after it, and every member reaches it. CCDR_DATABASE_NOT_FOUND;
   * CCDR_INVALID_ARGUMENT for a replica or the system database. Blocks (a
   * durable write to the system database; waits for writes in flight).
   * Never calls back into the plugin. */
  ccdr_status (*set_database_access)(ccdr_host_ctx *host, ccdr_string name, uint32_t read_only,
                                     ccdr_string reason, uint64_t *last_tx, ccdr_error *err);

  /* Turns a STANDARD database into a REPLICA of lineage epoch `epoch` that
   * continues at to_tx + 1. Every member is brought to transaction to_tx of
   * the database's history: a member ahead of it is reverted, which undoes
   * to_tx+1 .. last. Those are first passed to `undone` (may be NULL only
   * when nothing is undone), in id order, as the most advanced member logged
   * them, before anything changes. Then kind, epoch and `options` (stored as
   * create_database stores them: the replica's upstream link) are recorded
   * in one write of the system database, the fence (set_database_access) is
   * lifted, and the members restart: STOPPED, then STARTED with kind
   * REPLICA. On any failure nothing has changed: the database is the same
   * standard database with the same stores, and the error says which step
   * failed. CCDR_LOG_PRUNED when a member cannot go back to to_tx (its log
   * does not reach back that far; the message says how far it does);
   * CCDR_INVALID_ARGUMENT when the database is not standard, epoch is not
   * greater than its own, or to_tx is beyond its last committed tx.
   * Blocks. Never calls back into the plugin (the sink is the plugin's). */
  ccdr_status (*make_replica)(ccdr_host_ctx *host, ccdr_string name, uint64_t epoch, uint64_t to_tx,
                              const ccdr_map_entry *options, size_t option_count,
                              const ccdr_undone_sink *undone, ccdr_error *err);

  /* 1.2, DR drills (internal.dbms.createDrillDatabase). */

  /* Creates a new STANDARD database as create_database does (spec->kind
   * must be STANDARD and spec->store_id empty: the copy starts a lineage of
   * its own, epoch 1 unless spec->epoch says otherwise), except that every
   * member starts as a copy of one member of `source`: the member on the
   * server named `source_server_id` (as in ccdr_member_info), or this
   * server's member when it is empty. The copy is taken once, consistently,
   * at that member's last committed transaction (*copied_tx, when not NULL)
   * and stays inside this cluster (no other cluster is contacted). `source`
   * is not changed and keeps working while it is copied (a replica keeps
   * applying). Every transaction id of the copy follows copied_tx; its log
   * starts empty. CCDR_DATABASE_NOT_FOUND when there is no `source` or no
   * such member; CCDR_DATABASE_UNAVAILABLE when that member is not online;
   * CCDR_INVALID_ARGUMENT when the name is taken or invalid, the topology
   * cannot be satisfied, or `source` is the system database. On failure no
   * database was created. Blocks (copies the store once per member).
   * Delivers CREATED and STARTED events as create_database does. */
  ccdr_status (*copy_database)(ccdr_host_ctx *host, ccdr_string source, ccdr_string source_server_id,
                               const ccdr_database_spec *spec, uint64_t *copied_tx, ccdr_error *err);

  /* 1.2, continuous verification (ccdr.replica.verify_interval: a replica
   * member compares its running fingerprint with its upstream's at the same
   * transaction).
   * The running fingerprint of one member of `database` (server_id as for
   * content_fingerprint: empty = this server's member): a digest of the
   * member's content that every committed or applied transaction updates in
   * constant time (a multiset hash over the member's records), so that
   * equal contents have equal values whatever order of changes led there.
   * It is NOT the digest content_fingerprint gives (another algorithm,
   * named in ccdr_fingerprint.algorithm) and is never compared with it.
   * tx_id 0: the member's value now, with the last committed tx it covers
   * (one consistent read). tx_id > 0: the value as of that transaction,
   * while the member's log still holds it (the host keeps the value with
   * each log entry); CCDR_LOG_PRUNED when it does not (pruned, or logged
   * before the host kept running values), CCDR_INVALID_ARGUMENT when tx_id
   * is past the member's last committed tx. CCDR_DATABASE_NOT_FOUND /
   * CCDR_DATABASE_UNAVAILABLE as for content_fingerprint. Blocks briefly
   * (one indexed read, never a scan of the store). Never calls back; the
   * sink must not call into the host. */
  ccdr_status (*running_fingerprint)(ccdr_host_ctx *host, ccdr_string database, ccdr_string server_id,
                                     uint64_t tx_id, const ccdr_fingerprint_sink *out, ccdr_error *err);

  /* 1.2, store copy through files (a store copy of a large database writes
   * each byte once on either side; docs/benchmarks.md, store copy).
   * The plugin uses these when present and falls back to snapshot_export /
   * snapshot_import (streams through sinks) otherwise. */

  /* Writes a consistent copy of this server's member of `database`, at its
   * last committed tx, into a new file at `path` (absolute; its directory
   * exists and no file is at `path`; the plugin names it in its own data
   * directory), as snapshot_export would have streamed it, and fills *info
   * (the caller's struct: the host writes only what its struct_size covers):
   * tx_id, commit_time_ms and total_bytes, the file's size. The file is
   * complete and closed on return but need not be synced (the plugin
   * hashes it as it leaves; the importer checks it). On failure no file is
   * left at `path`. Blocks (storage). Never calls back. */
  ccdr_status (*snapshot_export_file)(ccdr_host_ctx *host, ccdr_string database, ccdr_string path,
                                      ccdr_snapshot_info *info, ccdr_error *err);
  /* Replaces this server's member's store, atomically, with the snapshot in
   * the file at `path` (written by snapshot_export_file or snapshot_export
   * of the upstream's host and verified by the plugin; info->total_bytes is
   * its size). The host may adopt the file by renaming it into its store
   * (same filesystem) instead of copying it. On success the member's last
   * committed tx is info->tx_id and its log is empty, as for
   * snapshot_import; the plugin removes `path` if it is still there. On
   * failure the member's store is untouched and the file is either left at
   * `path` unchanged (a check failed before the host took it: the plugin may
   * retry) or gone (the host took it, then failed); it is never changed in
   * place. Blocks (storage, fsync). Never calls back. */
  ccdr_status (*snapshot_import_file)(ccdr_host_ctx *host, ccdr_string database,
                                      const ccdr_snapshot_info *info, ccdr_string path, ccdr_error *err);

  /* 1.2, one transaction applied in parts (a transaction larger than
   * ccdr.batch.max_bytes; docs/protocol.md, "Large transactions"). The
   * plugin uses these only when all four are present and falls back to
   * apply_batch with the whole transaction otherwise. Atomic as apply_batch:
   * nothing of the transaction is visible before apply_tx_commit returns
   * OK, and then it is durable; any failure changes nothing. One handle is
   * used by one thread at a time; the member's other writes wait until it
   * is committed or aborted. */

  /* Starts applying transaction tx_id (last_committed_tx + 1, else
   * CCDR_OUT_OF_ORDER), committed upstream at commit_time_ms, whose payload
   * is total_bytes long, and sets *out. Calls back before_commit (origin
   * REPLICATION) on the calling thread first; a veto is returned and no
   * handle is made. On failure *out is NULL. Blocks (the member's write
   * lock, storage). */
  ccdr_status (*apply_tx_begin)(ccdr_host_ctx *host, ccdr_string database, uint64_t tx_id,
                                int64_t commit_time_ms, uint64_t total_bytes, ccdr_apply_tx **out,
                                ccdr_error *err);
  /* The next bytes of the payload, in order (a part may end anywhere, even
   * inside a change record; the host keeps what it cannot apply yet). The
   * parts add up to total_bytes; more is CCDR_INVALID_ARGUMENT. On failure
   * the handle can only be aborted. Blocks (storage). Never calls back. */
  ccdr_status (*apply_tx_part)(ccdr_host_ctx *host, ccdr_apply_tx *tx, ccdr_bytes part, ccdr_error *err);
  /* Commits: the parts must have added up to total_bytes (else
   * CCDR_INVALID_ARGUMENT and nothing changes). The transaction is logged
   * with its id and time, the member's last committed tx moves in the same
   * storage transaction, and it is durable when this returns OK. Frees the
   * handle whatever it returns. Blocks (storage, fsync). Calls back
   * after_commit on the calling thread, as apply_batch. */
  ccdr_status (*apply_tx_commit)(ccdr_host_ctx *host, ccdr_apply_tx *tx, ccdr_error *err);
  /* Rolls back everything applied through the handle and frees it. Never
   * fails; never calls back. */
  void (*apply_tx_abort)(ccdr_host_ctx *host, ccdr_apply_tx *tx);

  /* 1.2, one logged transaction read in pieces (the upstream of a
   * transaction larger than ccdr.batch.max_bytes sends it as TX_PART frames
   * as it reads it, instead of holding its whole payload; docs/protocol.md
   * §3). The plugin uses these only when all four are present and reads such
   * a transaction whole with read_log otherwise. */

  /* read_log, except that a transaction whose payload is longer than
   * tx_max_bytes is visited without it: tx->payload.data is NULL and
   * tx->payload.len its length (which counts toward max_bytes). Its payload
   * is neither read nor checked here; log_tx_open reads it. */
  ccdr_status (*read_log_bounded)(ccdr_host_ctx *host, ccdr_string database, uint64_t from_tx,
                                  uint64_t max_bytes, uint64_t tx_max_bytes, const ccdr_tx_visitor *visitor,
                                  ccdr_error *err);
  /* Opens committed transaction tx_id for reading its payload in order, sets
   * *out and *length (the payload's length). CCDR_LOG_PRUNED when the log no
   * longer holds it, CCDR_INVALID_ARGUMENT when it is not committed (durable)
   * yet.
   * The handle keeps the transaction readable until it is closed, whatever
   * the retention policy removes meanwhile. On failure *out is NULL. Blocks
   * (storage). */
  ccdr_status (*log_tx_open)(ccdr_host_ctx *host, ccdr_string database, uint64_t tx_id, uint64_t *length,
                             ccdr_log_tx **out, ccdr_error *err);
  /* The next min(capacity, bytes left) bytes of the payload into buffer;
   * *read says how many (0 once every byte was read). The read that
   * delivers the last bytes checks the whole payload against what the host
   * stored with it and returns CCDR_CORRUPT if it does not match (the caller
   * then discards everything it read of the transaction). One handle is used
   * by one thread at a time. Blocks (storage). Never calls back. */
  ccdr_status (*log_tx_read)(ccdr_host_ctx *host, ccdr_log_tx *tx, uint8_t *buffer, size_t capacity,
                             size_t *read, ccdr_error *err);
  /* Frees the handle. Never fails; never calls back. */
  void (*log_tx_close)(ccdr_host_ctx *host, ccdr_log_tx *tx);

  /* Version 1.3 and later: append below this line. */
} ccdr_host_api;

/* ------------------------------------------------------------------------ */
/* The plugin's vtable (plugin -> host)                                      */
/* ------------------------------------------------------------------------ */

/* OWNERSHIP: plugin; static storage in the plugin's image, valid until the
 * host unloads the library. No function lets a C++ exception escape. */
typedef struct ccdr_plugin_api {
  ccdr_header hdr;
  ccdr_string name;    /* e.g. "ccdr" */
  ccdr_string version; /* the plugin's release, e.g. "0.1.0" */

  /* --- settings --- */
  const ccdr_setting_def *settings; /* every ccdr.* key the plugin accepts */
  size_t setting_count;
  /* Validates one value of a declared setting before any instance exists.
   * CCDR_INVALID_SETTING with a message naming key, value and reason.
   * Thread: any. Never blocks; never calls back. */
  ccdr_status (*validate_setting)(ccdr_string key, ccdr_string value, ccdr_error *err);

  /* --- lifecycle (Thread: the host's control thread; one call at a time per instance) ---
   * create, then start once, then stop once, then destroy. What else a host
   * may call around them:
   *  - After create() returns, before start(): any function below (commit
   *    path, events, status, metrics) and the procedures registered in
   *    create(). The plugin answers as an instance that replicates nothing yet
   *    (a procedure that needs the network fails, saying the plugin is not
   *    started). It knows
   *    a database only from its events, so its read-only veto protects a
   *    replica only once that member's CREATED or STARTED event arrived: a
   *    host lets no client write before start() returned and it sent the
   *    STARTED events.
   *  - While stop() runs: the same, from other threads. stop() may call back
   *    (log; an applier finishing its batch through apply_batch, whose
   *    before_commit and after_commit then arrive on that thread).
   *  - After stop() returns, until destroy(): the same, from other threads,
   *    answered as before start(). The plugin runs no thread of its own and
   *    calls into the host only from within a call the host made. destroy()
   *    comes after the last such call has returned. */
  /* Creates an instance for one logical server. Reads settings, registers
   * procedures. Starts no thread and opens no socket. May call back. `api` is
   * the very vtable the host gave ccdr_plugin_entry (the plugin checked its
   * version and size there and does not check again); it must stay valid,
   * with `host`, until destroy. */
  ccdr_status (*create)(const ccdr_host_api *api, ccdr_host_ctx *host, ccdr_plugin_ctx **out,
                        ccdr_error *err);
  /* Opens listeners and starts threads. After start() returns the host sends
   * a STARTED event for every member hosted on this server. May block
   * briefly. May call back. */
  ccdr_status (*start)(ccdr_plugin_ctx *plugin, ccdr_error *err);
  /* Graceful: finishes the batch being applied, closes sockets, joins every
   * thread. When it returns nothing of the plugin runs. Blocks. May call
   * back (log, apply_batch finishing). */
  void (*stop)(ccdr_plugin_ctx *plugin);
  /* Frees the instance (after stop, or after a failed start), once no other
   * call into it is running. The instance's procedures and their user_data
   * are gone when it returns. */
  void (*destroy)(ccdr_plugin_ctx *plugin);

  /* --- commit path (Thread: the committing thread; concurrent) --- */
  /* Called before a write transaction becomes durable (a host may also call
   * it as soon as a transaction first writes, so the statement fails rather
   * than the commit; the answer is the same). A non-OK status vetoes: the
   * host aborts the transaction, nothing is written, and the client sees the
   * status's Neo4j code with the message. Must not block; must not call
   * back. */
  ccdr_status (*before_commit)(ccdr_plugin_ctx *plugin, const ccdr_commit_info *info,
                               ccdr_error *err);
  /* Called after transactions up to tx_id became durable on this server's
   * member of `database` (user commits, intra-cluster copies, and
   * apply_batch alike). Must not fail, must not block, must not call back. */
  void (*after_commit)(ccdr_plugin_ctx *plugin, ccdr_string database, uint64_t tx_id,
                       int64_t commit_time_ms);

  /* --- events (Thread: host control or session thread) --- */
  /* A member on this server changed. May block (STOPPED waits for the member's
   * applier to finish its batch). May call back, except into functions that
   * send events. Delivered from create() on (see the lifecycle above). */
  void (*on_database_event)(ccdr_plugin_ctx *plugin, const ccdr_database_event *event);

  /* --- status (Thread: any; concurrent) --- */
  /* Fills `out` for this server's member of `database`; state NONE when the
   * plugin has nothing to say. Never blocks; never calls back. */
  ccdr_status (*describe_database)(ccdr_plugin_ctx *plugin, ccdr_string database,
                                   ccdr_database_status *out);

  /* --- metrics (Thread: any) --- */
  /* Emits every metric of this instance. Never blocks; never calls back. */
  void (*collect_metrics)(ccdr_plugin_ctx *plugin, const ccdr_metric_sink *sink);

  /* --- Version 1.2 --- */
  /* Hooks appended in 1.2, in groups. A host calls one only when
   * CCDR_HAS_FIELD(plugin_api, ccdr_plugin_api, <hook>) holds and the
   * pointer is not NULL; otherwise it reports CCDR_UNSUPPORTED itself,
   * naming the plugin's version. */

  /* 1.2, replica subscriptions (ccdr_host_api.cluster_subscriptions).
   * Every replica subscription this instance serves now, of `database`
   * (empty: every database), one out->subscription call each; never calls
   * out->server_failed. Thread: any; concurrent. Never blocks; never calls
   * back into the host. */
  ccdr_status (*list_subscriptions)(ccdr_plugin_ctx *plugin, ccdr_string database,
                                    const ccdr_subscription_sink *out, ccdr_error *err);

  /* 1.2, log held for replicas (ccdr.upstream.replica_log_hold.max_size,
   * .max_age; internal.dbms.showReplicaSubscriptions' catchUpWindowSeconds).
   * The host calls it on this server's instance before each pruning of the
   * log of its member of `info->database` (also when the retention policy
   * would prune nothing, so the plugin sees the log grow). *keep_from_tx
   * arrives as info->retention_keep_from_tx; the plugin lowers it to the
   * first tx a replica member it serves still needs (the one after the
   * position it acknowledged last), or leaves it when that member's hold is
   * past its cap (the hold is then released and that member will need a
   * store copy). The host then prunes only the transactions below
   * max(oldest_retained_tx, min(retention_keep_from_tx, *keep_from_tx)): a
   * plugin can keep more log than the retention policy, never less. A
   * non-OK return, or a host or plugin without the hook, prunes by the
   * retention policy alone (the behaviour before 1.2). Thread: the host's
   * pruning thread. May block briefly (the plugin reads the log through
   * info->measure_log and writes its holds to its data directory); calls
   * back only info->measure_log. */
  ccdr_status (*log_hold)(ccdr_plugin_ctx *plugin, const ccdr_log_prune_info *info, uint64_t *keep_from_tx,
                          ccdr_error *err);

  /* 1.2, committed transactions handed over (an upstream sends a fresh
   * commit without reading it back from its log). A host that still holds
   * the payloads of what just became durable calls it instead of
   * after_commit(database, txs[count - 1].tx_id, txs[count - 1].commit_time_ms),
   * with the same meaning: transactions up to txs[count - 1].tx_id are
   * durable. count >= 1; txs[0..count) have consecutive ids and each payload
   * is exactly what read_log gives for that id. A host may call it for some
   * commits and after_commit for others (a transaction too large to keep,
   * parts, an import); the plugin reads from the log whatever it was not
   * handed, so the set of transactions handed over never changes what
   * replicates. OWNERSHIP: txs and their payloads borrowed for the call; the
   * plugin copies what it keeps. Thread: the committing thread; concurrent.
   * Must not fail, must not block, must not call back. */
  void (*after_commit_txs)(ccdr_plugin_ctx *plugin, ccdr_string database, const ccdr_tx *txs, size_t count);

  /* Version 1.3 and later: append below this line. */
} ccdr_plugin_api;

/* ------------------------------------------------------------------------ */
/* Entry                                                                     */
/* ------------------------------------------------------------------------ */

#define CCDR_PLUGIN_ENTRY_SYMBOL "ccdr_plugin_entry"

/* The only symbol a plugin exports. The host passes its vtable; the plugin
 * checks the major version (CCDR_VERSION_MISMATCH naming both versions on a
 * difference) and the host's struct_size, then returns its own vtable.
 * Thread: the host's control thread, once per load. Never throws; never
 * calls back. */
CCDR_EXPORT ccdr_status ccdr_plugin_entry(const ccdr_host_api *host_api,
                                          const ccdr_plugin_api **out_api, ccdr_error *err);

typedef ccdr_status (*ccdr_plugin_entry_fn)(const ccdr_host_api *host_api,
                                            const ccdr_plugin_api **out_api, ccdr_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CCDR_ABI_H */
