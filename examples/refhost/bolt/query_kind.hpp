// examples/refhost/bolt/query_kind.hpp: which queries are administration
// commands. Neo4j runs those against the system database whatever database
// the session names (bolt-and-neo4j.md §2: "routed to system automatically
// when sent over Bolt"); the Bolt server needs to know before it opens a
// transaction, so it looks at the leading keywords only. The Cypher engine
// parses the whole query afterwards and refuses what it does not know.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace refhost::bolt {

// The command's leading keywords in upper case ("CREATE DATABASE",
// "SHOW DATABASES") when `query` is an administration command, else nullopt.
// Comments and a leading `CYPHER 5` or `CYPHER 25` are skipped.
std::optional<std::string> administration_command(std::string_view query);

}  // namespace refhost::bolt
