// test/support/eventually.hpp: the one way a C++ test waits for something
// that another thread or process does: poll a condition until it holds or
// a deadline passes. Tests assert the result (REQUIRE(eventually(...))), so a
// condition that never comes fails with the line that waited for it; a test
// never sleeps a fixed time and then asserts.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace ccdr::test {

inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60),
                       std::chrono::milliseconds every = std::chrono::milliseconds(10)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= until) {
            return false;
        }
        std::this_thread::sleep_for(every);
    }
    return true;
}

}  // namespace ccdr::test
