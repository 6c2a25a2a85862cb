# Unit tests of the refhost's Bolt front end (PackStream, framing, handshake,
# the session state machine, the Asio server and the client), against a fake
# DBMS and a fake engine from test/support (also used by unit/shell).
add_library(refhost_bolt_fakes STATIC ${CMAKE_CURRENT_SOURCE_DIR}/support/bolt_fakes.cpp)
target_include_directories(refhost_bolt_fakes PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(refhost_bolt_fakes PUBLIC refhost_bolt ccdr::options)

add_executable(bolt_unit_tests
  unit/bolt/main.cpp
  unit/bolt/packstream_test.cpp
  unit/bolt/framing_test.cpp
  unit/bolt/handshake_test.cpp
  unit/bolt/session_test.cpp
  unit/bolt/query_kind_test.cpp
  unit/bolt/server_test.cpp
)
target_link_libraries(bolt_unit_tests PRIVATE refhost_bolt_fakes Catch2::Catch2)
catch_discover_tests(bolt_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)

# Bolt over TLS (issue 22): the Asio server at each server.bolt.tls_level and
# the client's TLS, on real sockets, against the Bolt fakes.
add_executable(bolt_tls_tests unit/main.cpp unit/bolt/tls_test.cpp)
target_link_libraries(bolt_tls_tests PRIVATE refhost_bolt_fakes ccdr_transport_test_support Catch2::Catch2)
catch_discover_tests(bolt_tls_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
