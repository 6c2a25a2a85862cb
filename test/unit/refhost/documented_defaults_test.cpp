// test/unit/refhost/documented_defaults_test.cpp: one truth for defaults
// (issue 17 item 7). The settings tables of docs/refhost.md,
// docs/operations.md and docs/protocol.md are read as an operator reads them
// and every default they state is compared with the code that applies it:
// the refhost's setting catalogue, the plugin's declared ccdr.* settings and
// the plugin's fallbacks for cluster SSL policy keys a host does not know.
// A default changed in one place and not the other fails here.
#include "config/setting_catalog.hpp"
#include "settings/plugin_settings.hpp"
#include "settings/tls_policy.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string read_doc(const std::string& name) {
    std::ifstream in(std::string(CCDR_SOURCE_DIR) + "/docs/" + name);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string trim(std::string s) {
    size_t b = s.find_first_not_of(" \t");
    size_t e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> cells(const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    for (size_t i = 1; i < line.size(); ++i) {  // after the leading '|'
        if (line[i] == '|') {
            out.push_back(trim(cur));
            cur.clear();
        } else {
            cur.push_back(line[i]);
        }
    }
    return out;
}

// The `quoted` parts of a cell, in order.
std::vector<std::string> code_spans(const std::string& cell) {
    std::vector<std::string> out;
    size_t at = 0;
    while ((at = cell.find('`', at)) != std::string::npos) {
        size_t end = cell.find('`', at + 1);
        if (end == std::string::npos) {
            break;
        }
        out.push_back(cell.substr(at + 1, end - at - 1));
        at = end + 1;
    }
    return out;
}

struct Documented {
    std::string doc;
    int line = 0;
    std::string key;
    std::string value;
    bool when_unknown = false;  // docs/protocol.md: what the plugin assumes when the host does not say
};

// Every (key, default) of every table whose first column is "key" and that
// has a "default" or "when unknown" column. A row may name several keys
// (`a` / `.b`, `a`, `b`): a key starting with '.' replaces the last part of
// the first key, and the defaults pair up in order. A row whose default is
// not in backquotes (—, "declared by the plugin") states none.
std::vector<Documented> documented_defaults(const std::string& name) {
    std::vector<Documented> out;
    std::istringstream in(read_doc(name));
    std::string line;
    int n = 0;
    long column = -1;
    bool unknown = false;
    while (std::getline(in, line)) {
        ++n;
        if (line.rfind("|", 0) != 0) {
            column = -1;
            continue;
        }
        auto c = cells(line);
        if (column < 0) {
            if (!c.empty() && c[0] == "key") {
                for (size_t i = 1; i < c.size(); ++i) {
                    if (c[i] == "default" || c[i] == "when unknown") {
                        column = static_cast<long>(i);
                        unknown = c[i] == "when unknown";
                    }
                }
            }
            continue;
        }
        if (line.rfind("|---", 0) == 0 || static_cast<size_t>(column) >= c.size()) {
            continue;
        }
        auto keys = code_spans(c[0]);
        auto values = code_spans(c[static_cast<size_t>(column)]);
        if (keys.empty() || values.empty() || keys[0].find('*') != std::string::npos) {
            continue;
        }
        INFO(name << " line " << n << ": " << line);
        REQUIRE(keys.size() == values.size());
        std::string prefix = keys[0].substr(0, keys[0].rfind('.'));
        for (size_t i = 0; i < keys.size(); ++i) {
            std::string key = keys[i][0] == '.' ? prefix + keys[i] : keys[i];
            // `""` documents an empty default (an empty code span cannot be written).
            out.push_back({name, n, key, values[i] == "\"\"" ? std::string() : values[i], unknown});
        }
    }
    return out;
}

std::map<std::string, std::string> plugin_declared() {
    std::map<std::string, std::string> out;
    for (const auto& d : ccdr::plugin::declared_settings()) {
        out[std::string(d.name.data, d.name.len)] = std::string(d.default_value.data, d.default_value.len);
    }
    return out;
}

std::map<std::string, std::string> plugin_policy_fallbacks() {
    std::map<std::string, std::string> out;
    for (const auto& d : ccdr::plugin::kPolicyDefaults) {
        out[std::string(ccdr::plugin::kPolicyPrefix) + d.suffix] = d.value;
    }
    return out;
}

}  // namespace

TEST_CASE("every default the docs state is the default the code applies", "[refhost][settings][docs]") {
    const auto declared = plugin_declared();
    const auto fallbacks = plugin_policy_fallbacks();
    size_t compared = 0;
    for (const char* doc : {"refhost.md", "operations.md", "protocol.md"}) {
        auto rows = documented_defaults(doc);
        CHECK(rows.size() >= 8);  // the tables are there and were read
        for (const auto& r : rows) {
            INFO(r.doc << " line " << r.line << ": " << r.key << " documented as `" << r.value << "`");
            std::string actual;
            bool found = false;
            if (r.when_unknown) {
                auto it = fallbacks.find(r.key);
                found = it != fallbacks.end();
                actual = found ? it->second : "";
            } else if (r.key.rfind("ccdr.", 0) == 0) {
                auto it = declared.find(r.key);
                found = it != declared.end();
                actual = found ? it->second : "";
            } else if (const auto* def = refhost::find_setting(r.key)) {
                found = true;
                actual = def->default_value;
            }
            INFO("the code's default: `" << actual << "`");
            CHECK(found);
            CHECK(r.value == actual);
            ++compared;
        }
    }
    CHECK(compared >= 60);
}

TEST_CASE("every setting of the code is in a documented defaults table", "[refhost][settings][docs]") {
    std::map<std::string, std::string> refhost_doc;
    for (const auto& r : documented_defaults("refhost.md")) {
        refhost_doc[r.key] = r.value;
    }
    for (const auto& def : refhost::setting_catalog()) {
        INFO(def.key << " is missing from the settings table of docs/refhost.md");
        CHECK(refhost_doc.count(def.key) == 1);
    }
    std::map<std::string, std::string> operations_doc;
    for (const auto& r : documented_defaults("operations.md")) {
        operations_doc[r.key] = r.value;
    }
    for (const auto& [key, value] : plugin_declared()) {
        INFO(key << " is missing from the settings table of docs/operations.md");
        CHECK(operations_doc.count(key) == 1);
    }
    std::map<std::string, std::string> protocol_doc;
    for (const auto& r : documented_defaults("protocol.md")) {
        protocol_doc[r.key] = r.value;
    }
    for (const auto& [key, value] : plugin_policy_fallbacks()) {
        INFO(key << " is missing from the cluster SSL policy table of docs/protocol.md");
        CHECK(protocol_doc.count(key) == 1);
    }
}

TEST_CASE("the plugin's cluster SSL policy fallbacks are the refhost's defaults", "[refhost][settings][docs]") {
    for (const auto& [key, value] : plugin_policy_fallbacks()) {
        INFO(key);
        const auto* def = refhost::find_setting(key);
        REQUIRE(def != nullptr);
        CHECK(def->default_value == value);
    }
    // Neo4j checks host names by default since 2025.01; so do both sides.
    CHECK(refhost::find_setting("dbms.ssl.policy.cluster.verify_hostname")->default_value == "true");
}
