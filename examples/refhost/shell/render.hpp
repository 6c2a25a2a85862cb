// examples/refhost/shell/render.hpp: values as cypher-shell prints them:
// strings in double quotes, TRUE/FALSE/NULL, floats as Java prints doubles
// (1.0, 1.0E10), lists and maps in Cypher notation, nodes as
// (:Label {k: v}), relationships as [:TYPE {k: v}], paths as
// (a)-[:R]->(b), temporal values in ISO 8601 as java.time prints them,
// points as point({srid:4326, x:1.0, y:2.0}).
#pragma once

#include "common/java_double.hpp"
#include "common/value.hpp"

#include <string>

namespace refhost::shell {

std::string render(const Value& v);

// java.time forms.
std::string render_date(int64_t days_since_epoch);
std::string render_local_time(int64_t nanoseconds_of_day);
std::string render_offset(int64_t offset_seconds);
// The offset of time zone `tz_id` at `utc_seconds`, from the system's zone
// database; nullopt when the zone is unknown.
std::optional<int64_t> zone_offset(const std::string& tz_id, int64_t utc_seconds);

// Display width in characters (UTF-8 code points).
size_t display_width(const std::string& s);

}  // namespace refhost::shell
