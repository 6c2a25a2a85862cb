#include "procedures/verify_procedure.hpp"

#include "procedures/procedure_call.hpp"
#include "procedures/replica_link.hpp"

#include <array>
#include <thread>

namespace ccdr::plugin {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::array<ccdr_field, 1> kArgs = {
    field("databaseName", CCDR_TYPE_STRING, "The replica database to verify against its upstream."),
};
const std::array<ccdr_field, 7> kOutputs = {
    field("txId", CCDR_TYPE_INTEGER, "The transaction both fingerprints cover."),
    field("upstreamFingerprint", CCDR_TYPE_STRING, "The upstream's content fingerprint at txId."),
    field("replicaFingerprint", CCDR_TYPE_STRING, "This member's content fingerprint at txId."),
    field("match", CCDR_TYPE_BOOLEAN, "TRUE when equal, FALSE when not, NULL when not compared."),
    field("serverId", CCDR_TYPE_STRING, "The server hosting the member."),
    field("address", CCDR_TYPE_STRING, "The member's Bolt address."),
    field("message", CCDR_TYPE_STRING, "Why a member was not compared, or which upstream server answered."),
};

ccdr_status body(void* user_data, const ccdr_call_info*, const ccdr_value* args, size_t n, const ccdr_row_sink* rows,
                 ccdr_error* err) {
    auto* self = static_cast<VerifyProcedure*>(user_data);
    return run_procedure<7>(
        args, n, rows, err, [self](const ValueList& values) { return self->verify(values); },
        [](const MemberVerification& r) {
            return std::array<Value, 7>{
                r.tx_id == 0 && !r.compared ? Value() : Value(static_cast<int64_t>(r.tx_id)),
                r.upstream_fingerprint.empty() ? Value() : Value(r.upstream_fingerprint),
                r.replica_fingerprint.empty() ? Value() : Value(r.replica_fingerprint),
                r.compared ? Value(r.match) : Value(),
                Value(r.server_id),
                Value(r.address),
                Value(r.message),
            };
        });
}

}  // namespace

VerifyProcedure::VerifyProcedure(HostHandle host, UpstreamFingerprinter upstream, std::shared_ptr<spdlog::logger> log,
                                 std::chrono::milliseconds deadline)
    : host_(host), upstream_(std::move(upstream)), log_(std::move(log)), deadline_(deadline) {}

Status VerifyProcedure::register_with_host() {
    return host_.register_procedure(admin_procedure(
        kName,
        "Compare the content fingerprint of every member of a replica database with its upstream's at the same "
        "transaction.",
        kArgs, kOutputs, CCDR_MODE_READ, &body, this));
}

Result<std::vector<MemberVerification>> VerifyProcedure::verify(const ValueList& args) {
    auto normalized = database_name_argument(args);
    if (!normalized) {
        return normalized.status();
    }
    const std::string name = *normalized;
    auto rows = verify_database(name);
    if (rows) {
        record(name, *rows);
    }
    return rows;
}

Result<std::vector<MemberVerification>> VerifyProcedure::verify_database(const std::string& name) {
    if (!host_.has_content_fingerprint()) {
        return Status(CCDR_UNSUPPORTED, "cannot verify '" + name + "': the host provides ccdr ABI " +
                                            std::to_string(host_.api()->hdr.major) + "." +
                                            std::to_string(host_.api()->hdr.minor) +
                                            ", content fingerprints need 1.1 or later");
    }
    auto replica = replica_upstream_link(host_, name, "only a replica has an upstream to verify against");
    if (!replica) {
        return replica.status();
    }
    const DatabaseInfo* info = &replica->info;
    const ReplicaConfig* link = &replica->link;

    std::vector<MemberVerification> rows;
    std::vector<size_t> pending;
    for (const auto& m : info->members) {
        MemberVerification v;
        v.server_id = m.server_id;
        v.address = m.bolt_address;
        if (m.state != CCDR_DB_ONLINE) {
            v.message = "member is not online; not compared";
        } else {
            pending.push_back(rows.size());
        }
        rows.push_back(std::move(v));
    }

    const auto deadline = Clock::now() + deadline_;
    while (!pending.empty() && Clock::now() < deadline) {
        auto up = upstream_(*link, info->store_id, info->epoch);
        if (!up) {
            if (up.status().code() == CCDR_PROCEDURE_CALL_FAILED) {
                return procedure_failed("cannot verify '" + name + "': " + up.status().message());
            }
            return procedure_failed("cannot verify '" + name + "': cannot contact the upstream cluster: " +
                          up.status().message());
        }
        std::vector<size_t> still;
        for (size_t index : pending) {
            auto& row = rows[index];
            // Wait until the member has applied the upstream's tx.
            uint64_t member_tx = 0;
            while (Clock::now() < deadline) {
                auto now = host_.database_info(name);
                if (!now) {
                    break;
                }
                for (const auto& m : now->members) {
                    if (m.server_id == row.server_id) {
                        member_tx = m.last_committed_tx;
                    }
                }
                if (member_tx >= up->tx_id) {
                    break;
                }
                std::this_thread::sleep_for(20ms);
            }
            auto mine = host_.content_fingerprint(name, row.server_id);
            if (!mine) {
                row.message = "cannot fingerprint this member: " + mine.status().message();
                continue;  // not retried: the host said why
            }
            if (mine->tx_id != up->tx_id) {
                row.tx_id = mine->tx_id;
                row.replica_fingerprint = mine->fingerprint;
                row.message = "never at the same tx as the upstream before the deadline (last: member at tx " +
                              std::to_string(mine->tx_id) + ", upstream at tx " + std::to_string(up->tx_id) + ")";
                still.push_back(index);
                continue;
            }
            if (mine->algorithm != up->algorithm) {
                row.message = "the hosts fingerprint differently (upstream " + up->algorithm + ", replica " +
                              mine->algorithm + "); not comparable";
                continue;
            }
            row.compared = true;
            row.tx_id = up->tx_id;
            row.upstream_fingerprint = up->fingerprint;
            row.replica_fingerprint = mine->fingerprint;
            row.match = up->fingerprint == mine->fingerprint;
            row.message = "compared with upstream server " + up->address;
        }
        pending.swap(still);
    }
    for (size_t index : pending) {
        if (rows[index].message.empty()) {
            rows[index].message = "not at the upstream's tx before the deadline of " +
                                  std::to_string(deadline_.count()) + " ms";
        }
    }
    return rows;
}

void VerifyProcedure::record(const std::string& name, const std::vector<MemberVerification>& rows) {
    std::lock_guard lock(mu_);
    auto& c = counts_[name];
    ++c.runs;
    for (const auto& r : rows) {
        if (!r.compared) {
            ++c.unverified;
            log_->warn("verifyReplicaDatabase('{}'): member on {} not compared: {}", name, r.server_id, r.message);
            continue;
        }
        ++c.compared;
        c.last_match = r.match;
        if (r.match) {
            log_->info("verifyReplicaDatabase('{}'): member on {} matches the upstream at tx {} ({})", name,
                       r.server_id, r.tx_id, r.replica_fingerprint);
        } else {
            ++c.mismatches;
            log_->error("verifyReplicaDatabase('{}'): MISMATCH on {} at tx {}: upstream fingerprint {}, replica "
                        "fingerprint {}",
                        name, r.server_id, r.tx_id, r.upstream_fingerprint, r.replica_fingerprint);
        }
    }
}

void VerifyProcedure::collect_metrics(const MetricEmitter& emit) const {
    std::lock_guard lock(mu_);
    for (const auto& [name, c] : counts_) {
        const std::string base = "database." + name + ".ccdr.verify.";
        emit(base + "runs", CCDR_METRIC_COUNTER, static_cast<double>(c.runs));
        emit(base + "members_compared", CCDR_METRIC_COUNTER, static_cast<double>(c.compared));
        emit(base + "mismatches", CCDR_METRIC_COUNTER, static_cast<double>(c.mismatches));
        emit(base + "members_not_compared", CCDR_METRIC_COUNTER, static_cast<double>(c.unverified));
        emit(base + "last_match", CCDR_METRIC_GAUGE, c.last_match ? 1.0 : 0.0);
    }
}

}  // namespace ccdr::plugin
