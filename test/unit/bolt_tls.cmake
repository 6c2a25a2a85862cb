# Bolt over TLS (issue 22): the Asio server at each server.bolt.tls_level and
# the client's TLS, on real sockets, against the Bolt fakes.
add_executable(bolt_tls_tests unit/main.cpp unit/bolt/tls_test.cpp)
target_link_libraries(bolt_tls_tests PRIVATE refhost_bolt_fakes ccdr_transport_test_support Catch2::Catch2)
catch_discover_tests(bolt_tls_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
