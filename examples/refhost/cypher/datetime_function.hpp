// examples/refhost/cypher/datetime_function.hpp: Cypher's datetime(): the
// statement's time, or an ISO-8601 date-time text parsed to a ZONED DATETIME.
#pragma once

#include "common/value.hpp"

#include <optional>
#include <string>
#include <vector>

namespace refhost::cypher {

struct EvalContext;

// datetime() / datetime(null) / datetime("2026-12-06T12:10:00.25+01:00").
Value fn_datetime(std::vector<Value>& args, EvalContext& ctx);

// YYYY-MM-DDTHH:MM[:SS[.fraction up to 9 digits]][Z|±HH:MM]; no zone means
// UTC (Neo4j's default db.temporal.timezone). Nothing when the text is not
// one of those forms or names no valid calendar time.
std::optional<DateTime> parse_iso_datetime(const std::string& text);

}  // namespace refhost::cypher
