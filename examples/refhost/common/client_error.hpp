// examples/refhost/common/client_error.hpp: the one conversion of a
// ccdr::Status (the error type of the stores, the system database, the
// cluster's administration and the plugins) into the Error a client sees.
// The DBMS side of the refhost (store/graph_tx, dbms/, plugin_host/) converts
// here, where its results cross to the front ends; Bolt, Cypher and ccdr-shell
// see Error only: they do not link the ccdr headers (frontend.cmake,
// cypher.cmake), so a ccdr::Status cannot reach them.
#pragma once

#include "common/error.hpp"
#include "common/status_codes.hpp"

#include <ccdr/status.hpp>

namespace refhost {

// The status code the ABI's mapping (ccdr_status_neo4j_code, abi/ccdr/abi.h)
// gives a ccdr_status, as a constant of the table. Every ccdr_status has one
// (test/unit/refhost/status_codes_test.cpp).
inline const status::Code& status_code_of(ccdr_status code) {
    const status::Code* c = status::find(ccdr_status_neo4j_code(code));
    return c != nullptr ? *c : status::kUnknownError;
}

// A ccdr::Status as a client error: the code by the ABI's mapping, the
// message unchanged. Callers that owe the client a more precise code (a lock
// timeout, a database that is gone) map those statuses first and pass the
// rest here.
inline Error client_error(const ccdr::Status& st) { return make_error(status_code_of(st.code()), st.message()); }

}  // namespace refhost
