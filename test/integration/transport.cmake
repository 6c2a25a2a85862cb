# Integration tests of the transport: mutual TLS on loopback, with test
# certificates (test/support/test_pki.*, also used by the replication tests).
add_library(ccdr_transport_test_support STATIC support/test_pki.cpp)
target_include_directories(ccdr_transport_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(ccdr_transport_test_support PUBLIC ccdr::options OpenSSL::Crypto spdlog::spdlog)

add_executable(transport_integration_tests
  unit/main.cpp
  integration/transport/tls_test.cpp
)
target_link_libraries(transport_integration_tests PRIVATE ccdr_transport_test_support ccdr_plugin_core Catch2::Catch2)
catch_discover_tests(transport_integration_tests TEST_PREFIX "integration." PROPERTIES LABELS integration
                     DISCOVERY_MODE PRE_TEST)
