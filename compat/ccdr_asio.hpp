// compat/ccdr_asio.hpp: how ccdr's code includes Boost.Asio (link
// ccdr::asio, include <ccdr_asio.hpp>; <boost/asio/ssl.hpp> and other Asio
// headers may follow it). Boost 1.74's Asio uses std::exchange without
// including <utility>, which GCC 12 in C++20 mode does not pull in by itself
// (NOTES.md): <utility> comes first, here, once. The refhost and the tests
// include Asio through it; the plugin still has plugin/common/asio.hpp.
#pragma once

#include <utility>

#include <boost/asio.hpp>
