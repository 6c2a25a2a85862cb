// A C++ plugin for ABI tests, built with the same adapters as libccdr.so:
// registers test.echo (typed arguments in, one row per argument out), vetoes
// user writes to databases whose names start with "ro", and reports metrics.
#include <ccdr/plugin_adapter.hpp>
#include <ccdr/procedure.hpp>

#include <array>
#include <atomic>

namespace {

using ccdr::to_abi;

ccdr_status echo(void*, const ccdr_call_info* call, const ccdr_value* args, size_t n, const ccdr_row_sink* rows,
                 ccdr_error* err) {
    if (n != 4) {
        return ccdr::Status(CCDR_PROCEDURE_CALL_FAILED, "test.echo: expected 4 bound arguments").fill(err);
    }
    static constexpr const char* names[] = {"name", "count", "options", "tags"};
    for (size_t i = 0; i < n; ++i) {
        ccdr::Value v = ccdr::Value::from_abi(args[i]);
        ccdr::ValueList row{ccdr::Value(names[i]), ccdr::Value(ccdr::value_type_name(v)), ccdr::Value(v.to_display()),
                            ccdr::Value(ccdr::to_string(call->user))};
        ccdr::AbiValueBuilder b;
        const ccdr_value* cols = b.build_array(row);
        if (rows->emit(rows->ctx, cols, row.size()) != CCDR_OK) {
            break;
        }
    }
    return CCDR_OK;
}

ccdr_status fail(void*, const ccdr_call_info*, const ccdr_value*, size_t, const ccdr_row_sink*, ccdr_error* err) {
    return ccdr::Status(CCDR_PROCEDURE_CALL_FAILED, "test.fail: failing on purpose").fill(err);
}

const std::array<ccdr_field, 4> kEchoArgs = {
    ccdr_field{to_abi("name"), CCDR_TYPE_STRING, 0, {}, to_abi("")},
    ccdr_field{to_abi("count"), CCDR_TYPE_INTEGER, 0, {}, to_abi("")},
    ccdr_field{to_abi("options"), CCDR_TYPE_MAP, 0, {}, to_abi("")},
    ccdr_field{to_abi("tags"), CCDR_TYPE_LIST_OF_STRING, CCDR_FIELD_OPTIONAL, {}, to_abi("")},
};
const std::array<ccdr_field, 4> kEchoOut = {
    ccdr_field{to_abi("argument"), CCDR_TYPE_STRING, 0, {}, to_abi("")},
    ccdr_field{to_abi("type"), CCDR_TYPE_STRING, 0, {}, to_abi("")},
    ccdr_field{to_abi("value"), CCDR_TYPE_STRING, 0, {}, to_abi("")},
    ccdr_field{to_abi("user"), CCDR_TYPE_STRING, 0, {}, to_abi("")},
};

const std::array<ccdr_setting_def, 1> kSettings = {
    ccdr_setting_def{CCDR_HEADER_INIT(ccdr_setting_def), to_abi("ccdr.test.mode"), to_abi("on"), to_abi("on or off"),
                     CCDR_SETTING_ENUM, 0},
};

class TestInstance final : public ccdr::PluginInstance {
public:
    explicit TestInstance(ccdr::HostHandle host) : host_(host) {}
    ccdr::Status register_all() {
        ccdr_procedure_def def{};
        def.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_procedure_def);
        def.name = to_abi("test.echo");
        def.description = to_abi("Echoes typed arguments");
        def.args = kEchoArgs.data();
        def.arg_count = kEchoArgs.size();
        def.outputs = kEchoOut.data();
        def.output_count = kEchoOut.size();
        def.mode = CCDR_MODE_READ;
        def.admin_only = 0;
        def.fn = echo;
        ccdr::Status st = host_.register_procedure(def);
        if (!st) {
            return st;
        }
        def.name = to_abi("test.fail");
        def.args = nullptr;
        def.arg_count = 0;
        def.outputs = nullptr;
        def.output_count = 0;
        def.admin_only = 1;
        def.fn = fail;
        return host_.register_procedure(def);
    }
    ccdr::Status start() override {
        host_.log(CCDR_LOG_INFO, "test plugin started");
        return {};
    }
    void stop() override { host_.log(CCDR_LOG_INFO, "test plugin stopped"); }
    ccdr::Status before_commit(const ccdr_commit_info& info) override {
        std::string_view db = ccdr::to_view(info.database);
        if (info.origin == CCDR_ORIGIN_USER && db.substr(0, 2) == "ro") {
            vetoes_++;
            return {CCDR_READ_ONLY_DATABASE, "No write operations are allowed on this database. (" + std::string(db) + ")"};
        }
        return {};
    }
    void after_commit(std::string_view, uint64_t tx_id, int64_t) override { last_tx_ = tx_id; }
    void on_database_event(const ccdr_database_event&) override { events_++; }
    void describe_database(std::string_view db, ccdr_database_status& out) override {
        out.state = CCDR_REPLICA_STREAMING;
        out.has_lag = 1;
        out.lag_tx = 3;
        out.lag_seconds = 0.5;
        ccdr::copy_message(out.message, sizeof(out.message), "pulling " + std::string(db));
    }
    void collect_metrics(const ccdr::MetricEmitter& emit) override {
        emit("test.vetoes", CCDR_METRIC_COUNTER, static_cast<double>(vetoes_.load()));
        emit("test.last_tx", CCDR_METRIC_GAUGE, static_cast<double>(last_tx_.load()));
        emit("test.events", CCDR_METRIC_COUNTER, static_cast<double>(events_.load()));
    }

private:
    ccdr::HostHandle host_;
    std::atomic<uint64_t> vetoes_{0};
    std::atomic<uint64_t> last_tx_{0};
    std::atomic<uint64_t> events_{0};
};

struct Traits {
    static constexpr std::string_view name = "test-procs";
    static constexpr std::string_view version = "1.0";
    static std::span<const ccdr_setting_def> settings() { return kSettings; }
    static ccdr::Status validate_setting(std::string_view key, std::string_view value) {
        if (key == "ccdr.test.mode" && (value == "on" || value == "off")) {
            return {};
        }
        return {CCDR_INVALID_SETTING, "invalid value for " + std::string(key) + "='" + std::string(value) +
                                          "': expected on or off"};
    }
    static ccdr::Result<std::unique_ptr<ccdr::PluginInstance>> create(ccdr::HostHandle host) {
        auto inst = std::make_unique<TestInstance>(host);
        ccdr::Status st = inst->register_all();
        if (!st) {
            return st;
        }
        return std::unique_ptr<ccdr::PluginInstance>(std::move(inst));
    }
};

}  // namespace

extern "C" CCDR_EXPORT ccdr_status ccdr_plugin_entry(const ccdr_host_api* host, const ccdr_plugin_api** out,
                                                     ccdr_error* err) {
    ccdr::Status st = ccdr::check_host_api(host, "test-procs");
    if (!st) {
        return st.fill(err);
    }
    *out = ccdr::plugin_api<Traits>();
    return CCDR_OK;
}
