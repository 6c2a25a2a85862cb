// plugin/runtime/asio.hpp: the one way the plugin includes Boost.Asio: the
// project's Asio include (compat/ccdr_asio.hpp, which carries the Boost 1.74
// + GCC 12 workaround), then the TLS part the transport needs.
#pragma once

#include <ccdr_asio.hpp>

#include <boost/asio/ssl.hpp>
