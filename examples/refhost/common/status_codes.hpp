// examples/refhost/common/status_codes.hpp: every Neo4j status code the
// refhost reports, with its GQLSTATUS, in one place. Code elsewhere names a
// status by its constant (status::kSyntaxError), never by a string literal, so
// a client-visible code is spelled once and its GQLSTATUS cannot drift.
// bolt-and-neo4j.md §5 lists the codes and messages as Neo4j sends them.
#pragma once

#include <string_view>

namespace refhost::status {

struct Code {
    const char* neo4j;  // e.g. "Neo.ClientError.Statement.SyntaxError"
    const char* gql;    // e.g. "42001"; "50N42" (general processing exception) when Neo4j has no finer one
};

// --- client errors: the request is wrong, retrying it unchanged fails again ---
inline constexpr Code kSyntaxError{"Neo.ClientError.Statement.SyntaxError", "42001"};
inline constexpr Code kTypeError{"Neo.ClientError.Statement.TypeError", "22N01"};
inline constexpr Code kArgumentError{"Neo.ClientError.Statement.ArgumentError", "22G03"};
inline constexpr Code kArithmeticError{"Neo.ClientError.Statement.ArithmeticError", "50N42"};
inline constexpr Code kParameterMissing{"Neo.ClientError.Statement.ParameterMissing", "42N51"};
inline constexpr Code kAccessMode{"Neo.ClientError.Statement.AccessMode", "42N02"};
inline constexpr Code kNotSystemDatabase{"Neo.ClientError.Statement.NotSystemDatabaseError", "50N42"};
inline constexpr Code kEntityNotFound{"Neo.ClientError.Statement.EntityNotFound", "50N42"};
inline constexpr Code kUnsupportedAdministrationCommand{"Neo.ClientError.Statement.UnsupportedAdministrationCommand",
                                                        "50N42"};
inline constexpr Code kConstraintValidationFailed{"Neo.ClientError.Schema.ConstraintValidationFailed", "22N41"};
inline constexpr Code kForbiddenOnReadOnlyDatabase{"Neo.ClientError.General.ForbiddenOnReadOnlyDatabase", "08N08"};
inline constexpr Code kInvalidArguments{"Neo.ClientError.General.InvalidArguments", "50N42"};
inline constexpr Code kNotALeader{"Neo.ClientError.Cluster.NotALeader", "08N07"};
inline constexpr Code kDatabaseNotFound{"Neo.ClientError.Database.DatabaseNotFound", "22N51"};
inline constexpr Code kExistingDatabaseFound{"Neo.ClientError.Database.ExistingDatabaseFound", "50N42"};
inline constexpr Code kProcedureNotFound{"Neo.ClientError.Procedure.ProcedureNotFound", "42N08"};
inline constexpr Code kProcedureCallFailed{"Neo.ClientError.Procedure.ProcedureCallFailed", "52N37"};
inline constexpr Code kForbidden{"Neo.ClientError.Security.Forbidden", "42NFF"};
inline constexpr Code kUnauthorized{"Neo.ClientError.Security.Unauthorized", "42NFF"};
inline constexpr Code kRequestInvalid{"Neo.ClientError.Request.Invalid", "08N06"};
// Users and roles (CREATE/ALTER/DROP USER, GRANT/REVOKE ROLE). Neo4j reports
// them as InvalidArguments / ArgumentError with a finer GQLSTATUS.
inline constexpr Code kCredentialsExpired{"Neo.ClientError.Security.CredentialsExpired", "42NFF"};
inline constexpr Code kUserAlreadyExists{"Neo.ClientError.General.InvalidArguments", "42N12"};
inline constexpr Code kUserNotFound{"Neo.ClientError.General.InvalidArguments", "42N09"};
inline constexpr Code kRoleNotFound{"Neo.ClientError.General.InvalidArguments", "42N10"};
inline constexpr Code kInvalidPassword{"Neo.ClientError.Statement.ArgumentError", "22N05"};
inline constexpr Code kInvalidUserName{"Neo.ClientError.General.InvalidArguments", "22N05"};
inline constexpr Code kTransactionNotFound{"Neo.ClientError.Transaction.TransactionNotFound", "50N42"};
inline constexpr Code kInvalidBookmark{"Neo.ClientError.Transaction.InvalidBookmark", "50N42"};
// A transaction ended by the server (Neo4j's TransactionTerminatedException):
// GQLSTATUS 25N14, "transaction termination client error". The drivers do
// not retry these: the same transaction would hit the same timeout.
inline constexpr Code kTransactionTimedOut{"Neo.ClientError.Transaction.TransactionTimedOut", "25N14"};
inline constexpr Code kTransactionTimedOutClientConfiguration{
    "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration", "25N14"};
inline constexpr Code kTerminated{"Neo.ClientError.Transaction.Terminated", "25N14"};

// --- transient errors: the drivers retry these ---
inline constexpr Code kDatabaseUnavailable{"Neo.TransientError.General.DatabaseUnavailable", "08N09"};
// 25N16: "transaction termination transient error" (Neo4j's
// LockAcquisitionTimeoutException is a TransactionTerminatedException).
inline constexpr Code kLockAcquisitionTimeout{"Neo.TransientError.Transaction.LockAcquisitionTimeout", "25N16"};
inline constexpr Code kBookmarkTimeout{"Neo.TransientError.Transaction.BookmarkTimeout", "50N42"};

// --- database errors: the server failed ---
inline constexpr Code kUnknownError{"Neo.DatabaseError.General.UnknownError", "50N42"};
inline constexpr Code kStorageDamageDetected{"Neo.DatabaseError.General.StorageDamageDetected", "50N42"};
inline constexpr Code kTransactionCommitFailed{"Neo.DatabaseError.Transaction.TransactionCommitFailed", "50N42"};

// --- codes a client sees only through a ccdr_status (ccdr_status_neo4j_code of
// abi/ccdr/abi.h maps CCDR_LOG_PRUNED, CCDR_STOPPED and CCDR_TIMEOUT to them);
// the refhost raises none of them itself; CCDR_TIMEOUT maps to
// kTransactionTimedOut, above ---
inline constexpr Code kTransactionLogError{"Neo.DatabaseError.Transaction.TransactionLogError", "50N42"};
inline constexpr Code kTransientTerminated{"Neo.TransientError.Transaction.Terminated", "50N42"};

// Every code above, for lookups by name (gql_for) and for tests that check the
// table. Add a new constant to this list too, unless it shares its Neo4j name
// with a code listed here and only refines the GQLSTATUS (the user and role
// codes): a lookup by name gives the general one, as it did before.
inline constexpr const Code* kAll[] = {
    &kSyntaxError,          &kTypeError,          &kArgumentError,
    &kArithmeticError,      &kParameterMissing,   &kAccessMode,
    &kNotSystemDatabase,    &kEntityNotFound,     &kUnsupportedAdministrationCommand,
    &kConstraintValidationFailed, &kForbiddenOnReadOnlyDatabase, &kInvalidArguments,
    &kNotALeader,           &kDatabaseNotFound,   &kExistingDatabaseFound,
    &kProcedureNotFound,    &kProcedureCallFailed, &kForbidden,
    &kUnauthorized,         &kRequestInvalid,     &kTransactionNotFound,
    &kInvalidBookmark,      &kDatabaseUnavailable, &kLockAcquisitionTimeout,
    &kBookmarkTimeout,      &kUnknownError,       &kStorageDamageDetected,
    &kTransactionCommitFailed, &kCredentialsExpired, &kTransactionTimedOut,
    &kTransactionTimedOutClientConfiguration, &kTerminated, &kTransactionLogError,
    &kTransientTerminated,
};

// Codes that share their Neo4j name with one in kAll but carry a finer
// GQLSTATUS, as Neo4j's user and role errors do; a lookup by name finds the
// general one. Add such a constant here, not to kAll.
inline constexpr const Code* kVariants[] = {
    &kUserAlreadyExists, &kUserNotFound, &kRoleNotFound, &kInvalidPassword, &kInvalidUserName,
};

// The message of a transaction the server ended, as Neo4j words it: its
// TransactionTerminatedException prefix, then the status's description.
inline constexpr const char* kTerminatedPrefix =
    "The transaction has been terminated. Retry your operation in a new transaction, and you should see a "
    "successful result. ";

// The descriptions Neo4j gives these statuses (Status.java, the status-code
// documentation's all-errors page).
inline constexpr const char* kTransactionTimedOutDescription =
    "The transaction has not completed within the specified timeout (db.transaction.timeout). You may want to "
    "retry with a longer timeout.";
inline constexpr const char* kTransactionTimedOutClientDescription =
    "The transaction has not completed within the timeout specified at its start by the client. You may want to "
    "retry with a longer timeout.";
inline constexpr const char* kTerminatedDescription = "Explicitly terminated by the user.";
inline constexpr const char* kLockAcquisitionTimeoutDescription =
    "Unable to acquire lock within configured timeout (db.lock.acquisition.timeout).";
inline constexpr const char* kDatabaseUnavailableDescription =
    "The database is not currently available to serve your request, refer to the database logs for more details. "
    "Retrying your request at a later time may succeed.";

// The code named as text, when it is in the table (codes that come as text:
// from the ABI's ccdr_status_neo4j_code, or from a server's FAILURE).
inline const Code* find(std::string_view neo4j_code) {
    for (const Code* c : kAll) {
        if (neo4j_code == c->neo4j) {
            return c;
        }
    }
    return nullptr;
}

// The GQLSTATUS of a Neo4j status code named as text; "50N42" for a code not
// in the table.
inline const char* gql_for(std::string_view neo4j_code) {
    const Code* c = find(neo4j_code);
    return c != nullptr ? c->gql : "50N42";
}

// Neo4j's classification of a code, from its second part
// (Neo.<classification>.<category>.<title>): what Bolt 5.7+ reports as
// diagnostic_record._classification. Anything not transient and not a
// database error is the client's.
inline const char* classification(std::string_view neo4j_code) {
    if (neo4j_code.starts_with("Neo.TransientError.")) {
        return "TRANSIENT_ERROR";
    }
    if (neo4j_code.starts_with("Neo.DatabaseError.")) {
        return "DATABASE_ERROR";
    }
    return "CLIENT_ERROR";
}

}  // namespace refhost::status
