// The host-side loader: what it accepts, and every refusal with its message.
#include <ccdr/host_adapter.hpp>
#include <ccdr/plugin_loader.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

namespace {

std::string test_plugin(const char* name) { return std::string(CCDR_TEST_PLUGIN_DIR) + "/" + name + ".so"; }

}  // namespace

TEST_CASE("the loader loads libccdr.so and checks its vtable", "[loader]") {
    auto loaded = ccdr::load_plugin(CCDR_PLUGIN_PATH, ccdr::host_api());
    REQUIRE(loaded);
    CHECK((*loaded)->name() == "ccdr");
    CHECK((*loaded)->api()->hdr.major == CCDR_ABI_VERSION_MAJOR);
    CHECK((*loaded)->api()->setting_count > 0);
}

TEST_CASE("the loader refuses a file that is not a shared library", "[loader]") {
    auto loaded = ccdr::load_plugin(CCDR_NOT_A_PLUGIN, ccdr::host_api());
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.status().message(),
               Catch::Contains("not_a_plugin.so") && Catch::Contains("not a shared library"));
}

TEST_CASE("the loader refuses a library without ccdr_plugin_entry", "[loader]") {
    auto loaded = ccdr::load_plugin(test_plugin("plugin_no_entry"), ccdr::host_api());
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.status().message(),
               Catch::Contains("plugin_no_entry.so") && Catch::Contains("missing ccdr_plugin_entry"));
}

TEST_CASE("the loader refuses another major version, naming both", "[loader][version]") {
    auto loaded = ccdr::load_plugin(test_plugin("plugin_major2"), ccdr::host_api());
    REQUIRE_FALSE(loaded);
    CHECK(loaded.status().code() == CCDR_VERSION_MISMATCH);
    CHECK_THAT(loaded.status().message(), Catch::Contains("plugin_major2.so") && Catch::Contains("ABI 2.0") &&
                                              Catch::Contains("host provides 1." + std::to_string(CCDR_ABI_VERSION_MINOR)));
}

TEST_CASE("the loader names every missing function", "[loader]") {
    auto loaded = ccdr::load_plugin(test_plugin("plugin_missing_functions"), ccdr::host_api());
    REQUIRE_FALSE(loaded);
    CHECK_THAT(loaded.status().message(),
               Catch::Contains("missing functions: create, before_commit"));
}

TEST_CASE("a plugin of a newer minor loads and runs in this host", "[loader][version]") {
    auto loaded = ccdr::load_plugin(test_plugin("plugin_newer_minor"), ccdr::host_api());
    REQUIRE(loaded);
    const ccdr_plugin_api* api = (*loaded)->api();
    CHECK(api->hdr.minor == CCDR_ABI_VERSION_MINOR + 1);
    CHECK(api->hdr.struct_size > sizeof(ccdr_plugin_api));
    // Drive it through the 1.0 functions only.
    ccdr_plugin_ctx* ctx = nullptr;
    auto err = ccdr::make_error();
    REQUIRE(api->create(ccdr::host_api(), nullptr, &ctx, &err) == CCDR_OK);
    CHECK(api->start(ctx, &err) == CCDR_OK);
    api->stop(ctx);
    api->destroy(ctx);
}

TEST_CASE("a plugins directory loads every .so in name order and stops at the first bad one", "[loader]") {
    auto dir = std::filesystem::temp_directory_path() / ("ccdr-plugins-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(CCDR_PLUGIN_PATH, dir / "a-libccdr.so");
    std::ofstream(dir / "README.txt") << "not a plugin, and not a .so: ignored\n";
    {
        auto all = ccdr::load_plugins_dir(dir.string(), ccdr::host_api());
        REQUIRE(all);
        REQUIRE(all->size() == 1);
        CHECK((*all)[0]->name() == "ccdr");
    }
    std::filesystem::copy_file(test_plugin("plugin_major2"), dir / "b-old.so");
    auto refused = ccdr::load_plugins_dir(dir.string(), ccdr::host_api());
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.status().message(), Catch::Contains("b-old.so") && Catch::Contains("ABI 2.0"));
    std::filesystem::remove_all(dir);
    auto missing = ccdr::load_plugins_dir(dir.string(), ccdr::host_api());
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.status().message(), Catch::Contains("does not exist"));
}
