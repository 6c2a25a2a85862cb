// examples/refhost/app/admin_commands.hpp: the offline commands of the
// refhost program (as neo4j-admin has them): they change the system
// database of a HOME whose cluster is not running.
#pragma once

#include <ccdr/status.hpp>

#include <filesystem>
#include <string>

namespace refhost {

// Sets user neo4j's password (creating the user, role admin, when missing).
ccdr::Status set_initial_password(const std::filesystem::path& home, const std::string& password);
// Creates or updates a user with one built-in role (admin, architect,
// publisher, editor, reader). The Cypher commands on `system`
// (CREATE USER, GRANT ROLE, ...) do the same on a running cluster.
ccdr::Status add_user(const std::filesystem::path& home, const std::string& role, const std::string& name,
                      const std::string& password);

}  // namespace refhost
