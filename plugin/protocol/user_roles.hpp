// plugin/protocol/user_roles.hpp: one user of a cluster and its roles, as
// SECURITY_SNAPSHOT carries them (names only: no password, no hash crosses
// the link).
#pragma once

#include <string>
#include <vector>

namespace ccdr::protocol {

struct UserRoles {
    std::string name;
    std::vector<std::string> roles;
    bool operator==(const UserRoles&) const = default;
};

}  // namespace ccdr::protocol
