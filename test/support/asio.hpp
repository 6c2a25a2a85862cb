// test/support/asio.hpp: the one way test support includes Boost.Asio.
// Boost 1.74's Asio uses std::exchange without including <utility>, which
// GCC 12 in C++20 mode does not pull in by itself (NOTES.md), so <utility>
// comes first.
#pragma once

#include <utility>

#include <boost/asio.hpp>
