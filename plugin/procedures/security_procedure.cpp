#include "procedures/security_procedure.hpp"

#include "procedures/procedure_call.hpp"
#include "procedures/replica_link.hpp"

#include <algorithm>
#include <array>

namespace ccdr::plugin {
namespace {

const std::array<ccdr_field, 1> kArgs = {
    field("databaseName", CCDR_TYPE_STRING, "A replica database of this cluster; its upstream's cluster is compared."),
};
const std::array<ccdr_field, 6> kOutputs = {
    field("user", CCDR_TYPE_STRING, "A user of either cluster."),
    field("presentHere", CCDR_TYPE_BOOLEAN, "The user exists on this cluster."),
    field("presentThere", CCDR_TYPE_BOOLEAN, "The user exists on the upstream's cluster."),
    field("rolesHere", CCDR_TYPE_LIST_OF_STRING, "Its roles on this cluster (NULL when absent)."),
    field("rolesThere", CCDR_TYPE_LIST_OF_STRING, "Its roles on the upstream's cluster (NULL when absent)."),
    field("verdict", CCDR_TYPE_STRING, "same, missing here, missing there or roles differ."),
};

Value roles_value(bool present, const std::vector<std::string>& roles) {
    if (!present) {
        return Value();
    }
    ValueList list;
    for (const auto& r : roles) {
        list.push_back(Value(r));
    }
    return Value(std::move(list));
}

ccdr_status body(void* user_data, const ccdr_call_info*, const ccdr_value* args, size_t n, const ccdr_row_sink* rows,
                 ccdr_error* err) {
    auto* self = static_cast<SecurityCheck*>(user_data);
    return run_procedure<6>(
        args, n, rows, err, [self](const ValueList& values) { return self->call(values); },
        [](const UserComparison& r) {
            return std::array<Value, 6>{
                Value(r.user),
                Value(r.present_here),
                Value(r.present_there),
                roles_value(r.present_here, r.roles_here),
                roles_value(r.present_there, r.roles_there),
                Value(r.verdict),
            };
        });
}

}  // namespace

SecurityCheck::SecurityCheck(HostHandle host, UpstreamUsersFn upstream, std::shared_ptr<spdlog::logger> log)
    : host_(host), upstream_(std::move(upstream)), log_(std::move(log)) {}

Status SecurityCheck::register_with_host() {
    return host_.register_procedure(admin_procedure(
        kName,
        "Compare the users and roles of this cluster with those of a replica database's upstream cluster (users and "
        "roles are not replicated).",
        kArgs, kOutputs, CCDR_MODE_READ, &body, this));
}

Result<std::vector<UserComparison>> SecurityCheck::call(const ValueList& args) {
    auto name = database_name_argument(args);
    if (!name) {
        return name.status();
    }
    return compare(*name);
}

Result<std::vector<UserComparison>> SecurityCheck::compare(const std::string& name) {
    // A call that names no replica is refused before anything is counted:
    // the metrics name only replicas.
    auto link = replica_link(name);
    if (!link) {
        return link.status();
    }
    auto rows = compare_with(*link);
    std::lock_guard lock(mu_);
    auto& c = counts_[name];
    ++c.checks;
    if (!rows) {
        ++c.failures;
        ++c.consecutive_failures;
        log_->warn("compareSecurity('{}') failed: {}", name, rows.status().message());
        return rows;
    }
    size_t differences = count_differences(*rows);
    if (!c.compared || differences != c.differences) {
        if (differences == 0) {
            log_->info("compareSecurity('{}'): the users and roles of this cluster and of the upstream's are the "
                       "same ({} users)",
                       name, rows->size());
        } else {
            std::string which;
            for (const auto& r : *rows) {
                if (r.verdict != kVerdictSame) {
                    which += (which.empty() ? "" : ", ") + r.user + " (" + r.verdict + ")";
                }
            }
            log_->warn("compareSecurity('{}'): {} of {} users differ from the upstream's cluster: {}", name,
                       differences, rows->size(), which);
        }
    }
    c.compared = true;
    c.differences = differences;
    c.consecutive_failures = 0;
    return rows;
}

Result<ReplicaConfig> SecurityCheck::replica_link(const std::string& name) {
    if (!host_.has_list_users()) {
        return Status(CCDR_UNSUPPORTED, "cannot compare the users of '" + name + "': the host provides ccdr ABI " +
                                            std::to_string(host_.api()->hdr.major) + "." +
                                            std::to_string(host_.api()->hdr.minor) +
                                            ", listing users and roles needs 1.2 or later");
    }
    auto replica = replica_upstream_link(
        host_, name, "compareSecurity compares this cluster with the cluster a replica pulls from");
    if (!replica) {
        return replica.status();
    }
    return std::move(replica->link);
}

Result<std::vector<UserComparison>> SecurityCheck::compare_with(const ReplicaConfig& link) {
    const std::string& name = link.remote;
    auto here = host_.list_users();
    if (!here) {
        return procedure_failed("cannot list the users of this cluster: " + here.status().message());
    }
    auto there = upstream_(link);
    if (!there) {
        if (there.status().code() == CCDR_PROCEDURE_CALL_FAILED) {
            return procedure_failed("cannot compare with the cluster of '" + name + "': " + there.status().message());
        }
        return procedure_failed("cannot compare with the cluster of '" + name + "': cannot contact the upstream cluster: " +
                      there.status().message());
    }
    return compare_users(*here, there->users);
}

void SecurityCheck::retain_only(const std::vector<std::string>& names) {
    std::lock_guard lock(mu_);
    for (auto it = counts_.begin(); it != counts_.end();) {
        if (std::find(names.begin(), names.end(), it->first) == names.end()) {
            it = counts_.erase(it);
        } else {
            ++it;
        }
    }
}

void SecurityCheck::collect_metrics(const MetricEmitter& emit) const {
    std::lock_guard lock(mu_);
    for (const auto& [name, c] : counts_) {
        const std::string base = "database." + name + ".ccdr.security.";
        emit(base + "checks", CCDR_METRIC_COUNTER, static_cast<double>(c.checks));
        emit(base + "check_failures", CCDR_METRIC_COUNTER, static_cast<double>(c.failures));
        emit(base + "consecutive_failures", CCDR_METRIC_GAUGE, static_cast<double>(c.consecutive_failures));
        if (c.compared) {
            emit(base + "differences", CCDR_METRIC_GAUGE, static_cast<double>(c.differences));
        }
    }
}

}  // namespace ccdr::plugin
