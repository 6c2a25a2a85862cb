# The refhost's client-facing front end: PackStream, Bolt framing and
# handshake, the Bolt server (one per logical server, on Boost.Asio) and the
# Bolt client used by ccdr-shell, tests and benchmarks. Include root:
# examples/refhost.
add_library(refhost_bolt STATIC
  bolt/packstream.cpp
  bolt/chunking.cpp
  bolt/handshake.cpp
  bolt/message.cpp
  bolt/failure.cpp
  bolt/query_kind.cpp
  bolt/session.cpp
  bolt/server.cpp
  bolt/client.cpp
)
target_include_directories(refhost_bolt PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(refhost_bolt PUBLIC ccdr::cpp ccdr::options Boost::headers Threads::Threads spdlog::spdlog)
