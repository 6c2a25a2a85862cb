// Administration as the client's commands (DbmsApi: CREATE, DROP, START and
// STOP DATABASE): the database's name and topology as a client gives them,
// and the one place where administration's ccdr::Status becomes the Error a
// client sees, worded as Neo4j words it.
#include "dbms/cluster.hpp"

#include "common/client_error.hpp"

#include <ccdr/setting_values.hpp>

namespace refhost {

namespace {

Error admin_error(const ccdr::Status& st, const std::string& action, const std::string& name) {
    switch (st.code()) {
        case CCDR_DATABASE_NOT_FOUND:
            return make_error(status::kDatabaseNotFound, "Failed to " + action + " the specified database '" + name +
                                                             "': Database does not exist.");
        case CCDR_INVALID_ARGUMENT:
            return make_error(status::kInvalidArguments,
                              "Failed to " + action + " the specified database '" + name + "': " + st.message());
        default: return client_error(st.with_context("Failed to " + action + " the specified database '" + name + "'"));
    }
}

}  // namespace

Done Cluster::create_database(const std::string& raw, bool if_not_exists, std::optional<TopologyRequest> topology,
                              bool /*wait: administration here is synchronous*/) {
    std::string name = ccdr::settings::lower(raw);
    ccdr::DatabaseSpec spec;
    spec.name = name;
    spec.kind = CCDR_KIND_STANDARD;
    spec.primaries = topology ? topology->primaries
                              : static_cast<uint32_t>(config_.integer("initial.dbms.default_primaries_count"));
    spec.secondaries = topology ? topology->secondaries
                                : static_cast<uint32_t>(config_.integer("initial.dbms.default_secondaries_count"));
    ccdr::Status st = create(spec);
    if (st) {
        return done();
    }
    // create() checks the name, then that no database has it: a valid name
    // that is taken now is why it refused.
    if (check_database_name(name) && database(name)) {
        if (if_not_exists) {
            return done();
        }
        return make_error(status::kExistingDatabaseFound,
                          "Failed to create the specified database '" + name + "': Database already exists.");
    }
    return admin_error(st, "create", name);
}

Done Cluster::alter_database(const std::string& raw, bool if_exists, const AlterDatabaseRequest& change,
                             bool /*wait*/) {
    std::string name = ccdr::settings::lower(raw);
    if (!database(name)) {
        if (if_exists) {
            return done();
        }
        return make_error(status::kDatabaseNotFound,
                          "Failed to alter the specified database '" + name + "': Database does not exist.");
    }
    if (change.topology) {
        ccdr::Status st = set_topology(name, change.topology->primaries, change.topology->secondaries);
        if (!st) {
            return admin_error(st, "alter", name);
        }
    }
    if (change.read_only) {
        auto st = set_access(name, *change.read_only);
        if (!st) {
            return admin_error(st.status(), "alter", name);
        }
    }
    return done();
}

Done Cluster::drop_database(const std::string& raw, bool if_exists, bool /*wait*/) {
    std::string name = ccdr::settings::lower(raw);
    if (if_exists && !database(name)) {
        return done();
    }
    ccdr::Status st = drop(name);
    if (!st) {
        return admin_error(st, "delete", name);
    }
    return done();
}

Done Cluster::start_database(const std::string& raw, bool /*wait*/) { return start_or_stop(raw, true); }

Done Cluster::stop_database(const std::string& raw, bool /*wait*/) { return start_or_stop(raw, false); }

Done Cluster::start_or_stop(const std::string& raw, bool start) {
    std::lock_guard admin(admin_mu_);
    std::string name = ccdr::settings::lower(raw);
    ccdr::Status st = start_stop_impl(name, start);
    if (!st) {
        return admin_error(st, start ? "start" : "stop", name);
    }
    return done();
}

}  // namespace refhost
