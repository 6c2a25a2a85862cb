// plugin/runtime/asio.hpp: the one way the plugin includes Boost.Asio.
// Boost 1.74's Asio uses std::exchange without including <utility>, which
// GCC 12 in C++20 mode does not pull in by itself (NOTES.md), so <utility>
// comes first, here, once.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
