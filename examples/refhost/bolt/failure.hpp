// examples/refhost/bolt/failure.hpp: the metadata of a FAILURE message, in
// the form the negotiated version expects (bolt-and-neo4j.md §6.6): up to 5.6
// `{code, message}`; from 5.7 `{neo4j_code, message, gql_status, description,
// diagnostic_record}` (a 5.7+ driver sees `code` as "N/A").
#pragma once

#include "bolt/handshake.hpp"
#include "common/error.hpp"
#include "common/value.hpp"

#include <string>

namespace refhost::bolt {

Map failure_metadata(const Error& error, BoltVersion version);

// "CLIENT_ERROR", "TRANSIENT_ERROR" or "DATABASE_ERROR" from the Neo4j code.
std::string error_classification(const std::string& neo4j_code);

// The GQL status description: "error: <condition> - <subcondition>. <message>".
std::string gql_description(const Error& error);

}  // namespace refhost::bolt
