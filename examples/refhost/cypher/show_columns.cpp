// examples/refhost/cypher/show_columns.cpp: column lists from
// bolt-and-neo4j.md §2 (SHOW DATABASES) and Neo4j's SHOW SERVERS /
// SHOW PROCEDURES, restricted to what the refhost can fill.
#include "cypher/show_columns.hpp"

#include <algorithm>

namespace refhost::cypher {

namespace {

std::vector<std::string> without(std::vector<std::string> v, const std::vector<std::string>& drop) {
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](const std::string& c) { return std::find(drop.begin(), drop.end(), c) != drop.end(); }),
            v.end());
    return v;
}

}  // namespace

ShowColumns show_columns(ShowKind kind) {
    static const std::vector<std::string> kDatabaseAll = {
        "name", "type", "aliases", "access", "databaseID", "serverID", "address", "role", "writer",
        "requestedStatus", "currentStatus", "statusMessage", "default", "home", "currentPrimariesCount",
        "currentSecondariesCount", "requestedPrimariesCount", "requestedSecondariesCount", "creationTime",
        "lastStartTime", "lastStopTime", "store", "lastCommittedTxn", "replicationLag", "constituents", "options"};
    static const std::vector<std::string> kDatabaseDefault = {
        "name", "type", "aliases", "access", "address", "role", "writer", "requestedStatus", "currentStatus",
        "statusMessage", "default", "home", "constituents"};
    switch (kind) {
        case ShowKind::Databases: return {kDatabaseAll, kDatabaseDefault};
        case ShowKind::DefaultDatabase:
        case ShowKind::HomeDatabase:
            // Neo4j leaves `default` and `home` out of SHOW DEFAULT/HOME DATABASE.
            return {without(kDatabaseAll, {"default", "home"}), without(kDatabaseDefault, {"default", "home"})};
        case ShowKind::Servers:
            return {{"serverId", "name", "address", "state", "health", "hosting", "modeConstraint"},
                    {"name", "address", "state", "health", "hosting"}};
        case ShowKind::Procedures:
            return {{"name", "description", "mode", "worksOnSystem", "signature", "admin"},
                    {"name", "description", "mode", "worksOnSystem"}};
        case ShowKind::Users:
        case ShowKind::CurrentUser:
            return {{"user", "roles", "passwordChangeRequired", "suspended", "home"},
                    {"user", "roles", "passwordChangeRequired", "suspended", "home"}};
        case ShowKind::Roles:
            return {{"role"}, {"role"}};  // WITH USERS: role, member (parse_show)
        case ShowKind::Transactions:
            // Neo4j's columns the refhost can fill (heap, page cache, CPU and
            // planner columns have nothing to report here and are left out).
            return {{"database", "transactionId", "currentQueryId", "connectionId", "clientAddress", "username",
                     "currentQuery", "startTime", "status", "elapsedTime", "outerTransactionId", "metaData",
                     "parameters", "protocol", "statusDetails", "resourceInformation", "activeLockCount", "waitTime",
                     "idleTime"},
                    {"database", "transactionId", "currentQueryId", "connectionId", "clientAddress", "username",
                     "currentQuery", "startTime", "status", "elapsedTime"}};
        case ShowKind::TerminateTransactions:
            return {{"transactionId", "username", "message"}, {"transactionId", "username", "message"}};
    }
    return {};
}

}  // namespace refhost::cypher
