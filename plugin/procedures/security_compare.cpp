#include "procedures/security_compare.hpp"

#include <algorithm>
#include <map>

namespace ccdr::plugin {

namespace {

std::vector<std::string> sorted_set(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

}  // namespace

std::vector<UserComparison> compare_users(const std::vector<UserInfo>& here, const std::vector<UserInfo>& there) {
    std::map<std::string, UserComparison> by_name;
    for (const auto& u : here) {
        auto& row = by_name[u.name];
        row.user = u.name;
        row.present_here = true;
        row.roles_here = sorted_set(u.roles);
    }
    for (const auto& u : there) {
        auto& row = by_name[u.name];
        row.user = u.name;
        row.present_there = true;
        row.roles_there = sorted_set(u.roles);
    }
    std::vector<UserComparison> rows;
    for (auto& [name, row] : by_name) {
        if (!row.present_here) {
            row.verdict = kVerdictMissingHere;
        } else if (!row.present_there) {
            row.verdict = kVerdictMissingThere;
        } else if (row.roles_here != row.roles_there) {
            row.verdict = kVerdictRolesDiffer;
        } else {
            row.verdict = kVerdictSame;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

size_t count_differences(const std::vector<UserComparison>& rows) {
    return static_cast<size_t>(
        std::count_if(rows.begin(), rows.end(), [](const UserComparison& r) { return r.verdict != kVerdictSame; }));
}

}  // namespace ccdr::plugin
