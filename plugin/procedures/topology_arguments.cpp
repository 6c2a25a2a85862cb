#include "procedures/topology_arguments.hpp"

#include <string>

namespace ccdr::plugin {

Status check_topology(const Value& primaries, const Value& secondaries) {
    if (!primaries.is_int()) {
        return {CCDR_PROCEDURE_CALL_FAILED, "numPrimaries must be an INTEGER, got " + primaries.to_display()};
    }
    if (!secondaries.is_int()) {
        return {CCDR_PROCEDURE_CALL_FAILED, "numSecondaries must be an INTEGER, got " + secondaries.to_display()};
    }
    int64_t p = primaries.as_int();
    int64_t sec = secondaries.as_int();
    if (p < 0) {
        return {CCDR_PROCEDURE_CALL_FAILED, "numPrimaries must not be negative, got " + std::to_string(p)};
    }
    if (sec < 0) {
        return {CCDR_PROCEDURE_CALL_FAILED, "numSecondaries must not be negative, got " + std::to_string(sec)};
    }
    if (p + sec == 0) {
        return {CCDR_PROCEDURE_CALL_FAILED, "the topology has zero members in total; a database needs at least one primary"};
    }
    if (p == 0) {
        return {CCDR_PROCEDURE_CALL_FAILED, "numPrimaries is 0; a database needs at least one primary"};
    }
    if (p > kMaxPrimaries) {
        return {CCDR_PROCEDURE_CALL_FAILED, "numPrimaries " + std::to_string(p) + " exceeds the maximum of " +
                                                std::to_string(kMaxPrimaries)};
    }
    if (sec > kMaxSecondaries) {
        return {CCDR_PROCEDURE_CALL_FAILED, "numSecondaries " + std::to_string(sec) + " exceeds the maximum of " +
                                                std::to_string(kMaxSecondaries)};
    }
    return {};
}

}  // namespace ccdr::plugin
