// Plugin release versions: what HELLO accepts as one, and how two of them
// compare (session/version_check.hpp): the same, another minor, another
// major; and the sentences both sides use.
#include "protocol/plugin_version.hpp"
#include "session/version_check.hpp"

#include <catch2/catch.hpp>

using namespace ccdr::protocol;
using ccdr::session::compare_plugin_versions;
using ccdr::session::VersionMatch;

namespace {

PluginVersion v(const char* text) {
    auto parsed = parse_plugin_version(text);
    REQUIRE(parsed);
    return *parsed;
}

}  // namespace

TEST_CASE("plugin versions parse as MAJOR.MINOR.PATCH with an optional suffix", "[protocol][version]") {
    auto p = parse_plugin_version("12.3.45");
    REQUIRE(p);
    CHECK(p->major == 12);
    CHECK(p->minor == 3);
    CHECK(p->patch == 45);
    CHECK(p->text == "12.3.45");
    auto rc = parse_plugin_version("1.0.0-rc1");
    REQUIRE(rc);
    CHECK(rc->major == 1);
    CHECK(rc->text == "1.0.0-rc1");
    CHECK(parse_plugin_version("0.2.0+build.7"));
    for (const char* bad : {"", "1", "1.2", "1.2.", ".1.2", "1.2.3.4", "a.b.c", "1.2.3x", "1.2.3-", "-1.2.3",
                            " 1.2.3", "99999999999.0.0"}) {
        INFO(bad);
        CHECK_FALSE(parse_plugin_version(bad));
    }
    const PluginVersion legacy = legacy_plugin_version();
    CHECK(legacy.major == 0);
    CHECK(legacy.minor == 1);
    CHECK(legacy.text == "0.1.x (protocol 1)");
}

TEST_CASE("plugin versions compare: same, another minor or patch, another major", "[protocol][version]") {
    CHECK(compare_plugin_versions(v("0.2.0"), v("0.2.0")) == VersionMatch::kSame);
    CHECK(compare_plugin_versions(v("0.2.0"), v("0.3.0")) == VersionMatch::kMinor);
    CHECK(compare_plugin_versions(v("0.3.0"), v("0.2.0")) == VersionMatch::kMinor);
    CHECK(compare_plugin_versions(v("0.2.0"), v("0.2.1")) == VersionMatch::kMinor);
    CHECK(compare_plugin_versions(v("1.0.0"), v("1.0.0-rc1")) == VersionMatch::kMinor);
    CHECK(compare_plugin_versions(v("0.2.0"), v("1.0.0")) == VersionMatch::kMajor);
    CHECK(compare_plugin_versions(v("2.0.0"), v("1.9.9")) == VersionMatch::kMajor);
    // A release of protocol 1 is a 0.1: another minor for 0.2, another major for 1.0.
    CHECK(compare_plugin_versions(legacy_plugin_version(), v("0.2.0")) == VersionMatch::kMinor);
    CHECK(compare_plugin_versions(legacy_plugin_version(), v("1.0.0")) == VersionMatch::kMajor);
}

TEST_CASE("a version mismatch is said the same way by both sides", "[protocol][version]") {
    CHECK(ccdr::session::major_mismatch_reason("0.2.0", "1.0.0") ==
          "ccdr plugin versions differ: replica cluster runs 0.2.0, upstream cluster runs 1.0.0; both clusters "
          "must run the same major version");
    CHECK(ccdr::session::minor_mismatch_note("0.3.0", "0.2.0") == " (upstream plugin 0.3.0, this 0.2.0)");
    ccdr::session::VersionNotices notices;
    CHECK(notices.first("replica", "cluster-b", "b1", "0.3.0"));
    CHECK_FALSE(notices.first("replica", "cluster-b", "b1", "0.3.0"));
    CHECK(notices.first("replica", "cluster-b", "b2", "0.3.0"));
    CHECK(notices.first("upstream", "cluster-b", "b1", "0.3.0"));
    CHECK(notices.first("replica", "cluster-b", "b1", "0.3.1"));
}
