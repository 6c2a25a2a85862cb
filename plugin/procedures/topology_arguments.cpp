#include "procedures/topology_arguments.hpp"

#include <string>

namespace ccdr::plugin {

Status check_topology(const Value& primaries, const Value& secondaries, std::string_view primaries_name,
                      std::string_view secondaries_name) {
    const std::string pn(primaries_name);
    const std::string sn(secondaries_name);
    if (!primaries.is_int()) {
        return {CCDR_PROCEDURE_CALL_FAILED, pn + " must be an INTEGER, got " + primaries.to_display()};
    }
    if (!secondaries.is_int()) {
        return {CCDR_PROCEDURE_CALL_FAILED, sn + " must be an INTEGER, got " + secondaries.to_display()};
    }
    int64_t p = primaries.as_int();
    int64_t sec = secondaries.as_int();
    if (p < 0) {
        return {CCDR_PROCEDURE_CALL_FAILED, pn + " must not be negative, got " + std::to_string(p)};
    }
    if (sec < 0) {
        return {CCDR_PROCEDURE_CALL_FAILED, sn + " must not be negative, got " + std::to_string(sec)};
    }
    if (p + sec == 0) {
        return {CCDR_PROCEDURE_CALL_FAILED, "the topology has zero members in total; a database needs at least one primary"};
    }
    if (p == 0) {
        return {CCDR_PROCEDURE_CALL_FAILED, pn + " is 0; a database needs at least one primary"};
    }
    if (p > kMaxPrimaries) {
        return {CCDR_PROCEDURE_CALL_FAILED, pn + " " + std::to_string(p) + " exceeds the maximum of " +
                                                std::to_string(kMaxPrimaries)};
    }
    if (sec > kMaxSecondaries) {
        return {CCDR_PROCEDURE_CALL_FAILED, sn + " " + std::to_string(sec) + " exceeds the maximum of " +
                                                std::to_string(kMaxSecondaries)};
    }
    return {};
}

}  // namespace ccdr::plugin
