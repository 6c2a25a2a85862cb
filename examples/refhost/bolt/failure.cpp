// examples/refhost/bolt/failure.cpp: FAILURE metadata per Bolt version.
#include "bolt/failure.hpp"

#include <string_view>

namespace refhost::bolt {

namespace {

struct GqlTitle {
    std::string_view status;
    std::string_view title;
};

// Condition and subcondition of the GQLSTATUS codes the refhost produces
// (status-codes docs, bolt-and-neo4j.md §5).
constexpr GqlTitle kTitles[] = {
    {"08N06", "connection exception - protocol error"},
    {"08N07", "connection exception - not the leader"},
    {"08N08", "connection exception - database is read only"},
    {"08N09", "connection exception - database unavailable"},
    {"22G03", "data exception - invalid value type"},
    {"22N01", "data exception - invalid type"},
    {"22N41", "data exception - constraint validation failed"},
    {"22N51", "data exception - graph reference not found"},
    {"25N14", "invalid transaction state - transaction termination client error"},
    {"25N16", "invalid transaction state - transaction termination transient error"},
    {"42001", "syntax error or access rule violation - invalid syntax"},
    {"42N02", "syntax error or access rule violation - writing in read access mode"},
    {"42N08", "syntax error or access rule violation - no such procedure"},
    {"42N51", "syntax error or access rule violation - invalid parameter"},
    {"42NFF", "syntax error or access rule violation - permission/access denied"},
    {"52N37", "procedure exception - procedure execution error"},
};

}  // namespace

std::string error_classification(const std::string& code) { return status::classification(code); }

std::string gql_description(const Error& error) {
    std::string status = error.gql_status.empty() ? gql_status_for(error.code) : error.gql_status;
    std::string_view title = "general processing exception - unexpected error";
    for (const auto& t : kTitles) {
        if (t.status == status) {
            title = t.title;
        }
    }
    return "error: " + std::string(title) + ". " + error.message;
}

Map failure_metadata(const Error& error, BoltVersion version) {
    if (version < BoltVersion{5, 7}) {
        return Map{{"code", error.code}, {"message", error.message}};
    }
    std::string status = error.gql_status.empty() ? gql_status_for(error.code) : error.gql_status;
    Map diagnostic{{"_classification", error_classification(error.code)},
                   {"OPERATION", ""},
                   {"OPERATION_CODE", "0"},
                   {"CURRENT_SCHEMA", "/"}};
    return Map{{"neo4j_code", error.code},
               {"message", error.message},
               {"gql_status", status},
               {"description", gql_description(error)},
               {"diagnostic_record", std::move(diagnostic)}};
}

}  // namespace refhost::bolt
