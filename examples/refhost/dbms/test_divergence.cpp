// examples/refhost/dbms/test_divergence.cpp: the divergence test hook
// (refhost.test.divergeMember, enabled only by refhost.test.divergence_hook):
// one member's row changes underneath it, as a diverging apply would leave
// it. The change is applied to that member's store without a log entry
// (MemberStore::apply_unlogged_for_test), so its content and its running
// fingerprint move and its tx does not: continuous verification must see it,
// and replication must go on.
#include "dbms/cluster.hpp"
#include "store/change_record.hpp"

namespace refhost {

Done Cluster::diverge_member_for_test(size_t server, const std::string& database, int64_t node,
                                      const std::string& key, const Value& value) {
    if (!config_.flag("refhost.test.divergence_hook")) {
        return make_error(status::kProcedureCallFailed,
                          "refhost.test.divergeMember is a test hook: set refhost.test.divergence_hook=true");
    }
    auto m = member(database, server);
    if (!m) {
        return make_error(status::kDatabaseNotFound, m.status().message());
    }
    ChangeRecordWriter w;
    w.set_node_property(node, key, value);
    ccdr::Status st = m.value()->store()->apply_unlogged_for_test(w.bytes());
    if (!st) {
        return make_error(status::kProcedureCallFailed, "diverging '" + database + "': " + st.message());
    }
    log_->warn("test hook: member of '{}' on {} diverged (node {} property '{}' set without a log entry)", database,
               server_id(server), node, key);
    return done();
}

}  // namespace refhost
