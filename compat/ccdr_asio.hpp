// compat/ccdr_asio.hpp: how ccdr's code includes Boost.Asio (link
// ccdr::asio, include <ccdr_asio.hpp>; <boost/asio/ssl.hpp> and other Asio
// headers may follow it). Boost 1.74's Asio uses std::exchange without
// including <utility>, which GCC 12 in C++20 mode does not pull in by itself
// (NOTES.md): <utility> comes first, here, once. The refhost, the tests and
// the plugin (through plugin/runtime/asio.hpp) include Asio through it.
#pragma once

#include <utility>

#include <boost/asio.hpp>
