#include "procedures/security_procedure.hpp"

#include "procedures/database_name.hpp"

#include <ccdr/span.hpp>

#include <algorithm>
#include <array>

namespace ccdr::plugin {
namespace {

constexpr ccdr_string s(std::string_view v) { return ccdr_string{v.data(), v.size()}; }

constexpr ccdr_field field(std::string_view name, ccdr_type type, std::string_view text) {
    return ccdr_field{s(name), static_cast<uint32_t>(type), 0, {}, s(text)};
}

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

Status failed(const std::string& why) { return {CCDR_PROCEDURE_CALL_FAILED, why}; }

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
    try {
        ValueList values;
        for (size_t i = 0; i < n; ++i) {
            values.push_back(Value::from_abi(args[i]));
        }
        auto result = static_cast<SecurityCheck*>(user_data)->call(values);
        if (!result) {
            return result.status().fill(err);
        }
        for (const auto& r : *result) {
            const std::array<Value, 6> row = {
                Value(r.user),
                Value(r.present_here),
                Value(r.present_there),
                roles_value(r.present_here, r.roles_here),
                roles_value(r.present_there, r.roles_there),
                Value(r.verdict),
            };
            AbiValueBuilder builder;
            std::array<ccdr_value, 6> abi{};
            for (size_t i = 0; i < row.size(); ++i) {
                abi[i] = builder.build(row[i]);
            }
            if (rows->emit(rows->ctx, abi.data(), abi.size()) != CCDR_OK) {
                break;
            }
        }
        return CCDR_OK;
    } catch (const std::exception& e) {
        return Status(CCDR_INTERNAL, std::string("unexpected exception: ") + e.what()).fill(err);
    } catch (...) {
        return Status(CCDR_INTERNAL, "unexpected exception").fill(err);
    }
}

}  // namespace

SecurityCheck::SecurityCheck(HostHandle host, UpstreamUsersFn upstream, std::shared_ptr<spdlog::logger> log)
    : host_(host), upstream_(std::move(upstream)), log_(std::move(log)) {}

Status SecurityCheck::register_with_host() {
    ccdr_procedure_def def{};
    def.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_procedure_def);
    def.name = s(kName);
    def.description = s("Compare the users and roles of this cluster with those of a replica database's upstream "
                        "cluster (users and roles are not replicated).");
    def.args = kArgs.data();
    def.arg_count = kArgs.size();
    def.outputs = kOutputs.data();
    def.output_count = kOutputs.size();
    def.mode = CCDR_MODE_READ;
    def.admin_only = 1;
    def.fn = &body;
    def.user_data = this;
    return host_.register_procedure(def);
}

Result<std::vector<UserComparison>> SecurityCheck::call(const ValueList& args) {
    if (args.size() != 1) {
        return failed("expected 1 argument, got " + std::to_string(args.size()));
    }
    if (!args[0].is_string()) {
        return failed("databaseName must be a STRING, got " + args[0].to_display());
    }
    Status name_ok = check_database_name(args[0].as_string());
    if (!name_ok) {
        return failed(name_ok.message());
    }
    return compare(normalize_database_name(args[0].as_string()));
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
    auto info = host_.database_info(name);
    if (!info) {
        if (info.status().code() == CCDR_DATABASE_NOT_FOUND) {
            return failed("database '" + name + "' does not exist");
        }
        return failed("cannot read database '" + name + "': " + info.status().message());
    }
    if (info->kind != CCDR_KIND_REPLICA) {
        return failed("database '" + name + "' is a " + (info->kind == CCDR_KIND_SYSTEM ? "system" : "standard") +
                      " database, not a replica; compareSecurity compares this cluster with the cluster a replica "
                      "pulls from");
    }
    auto option = host_.get_database_option(name, kReplicaConfigOption);
    if (!option) {
        return failed("cannot read the upstream link of '" + name + "': " + option.status().message());
    }
    auto link = parse_replica_config(*option);
    if (!link) {
        return failed("replica '" + name + "' has no usable upstream link: " + link.status().message());
    }
    return link;
}

Result<std::vector<UserComparison>> SecurityCheck::compare_with(const ReplicaConfig& link) {
    const std::string& name = link.remote;
    auto here = host_.list_users();
    if (!here) {
        return failed("cannot list the users of this cluster: " + here.status().message());
    }
    auto there = upstream_(link);
    if (!there) {
        if (there.status().code() == CCDR_PROCEDURE_CALL_FAILED) {
            return failed("cannot compare with the cluster of '" + name + "': " + there.status().message());
        }
        return failed("cannot compare with the cluster of '" + name + "': cannot contact the upstream cluster: " +
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
