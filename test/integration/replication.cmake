# Integration tests of the replication engine: mutual TLS on loopback, and
# streaming between two plugin instances in MemoryHosts.
add_library(ccdr_transport_test_support STATIC support/test_pki.cpp)
target_include_directories(ccdr_transport_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(ccdr_transport_test_support PUBLIC ccdr::options OpenSSL::Crypto spdlog::spdlog)

add_executable(transport_integration_tests
  unit/main.cpp
  integration/tls_transport_test.cpp
)
target_link_libraries(transport_integration_tests PRIVATE ccdr_transport_test_support ccdr_plugin_core Catch2::Catch2)
catch_discover_tests(transport_integration_tests TEST_PREFIX "integration." PROPERTIES LABELS integration
                     DISCOVERY_MODE PRE_TEST)

add_library(ccdr_replication_test_support STATIC support/fault_proxy.cpp support/fault_proxy_session.cpp)
target_include_directories(ccdr_replication_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(ccdr_replication_test_support PUBLIC ccdr::options Threads::Threads PRIVATE ccdr::asio)
# As in plugin/CMakeLists.txt: Asio's fenced blocks use atomic_thread_fence,
# which GCC refuses under -Werror=tsan; under TSan Asio's null fence is used
# (handlers are ordered by the scheduler's locks). Only the proxy's own
# sources include Asio, so the definition stays private to them.
if("thread" IN_LIST CCDR_SANITIZER)
  target_compile_definitions(ccdr_replication_test_support PRIVATE BOOST_ASIO_DISABLE_FENCED_BLOCK)
endif()

add_executable(replication_integration_tests
  unit/main.cpp
  integration/replication_stream_test.cpp
  integration/store_copy_test.cpp
  integration/upstream_probe_test.cpp
)
target_link_libraries(replication_integration_tests PRIVATE ccdr_replication_test_support
  ccdr_transport_test_support ccdr_test_support ccdr_plugin_core Catch2::Catch2)
target_compile_definitions(replication_integration_tests PRIVATE CCDR_PLUGIN_PATH="$<TARGET_FILE:ccdr>")
add_dependencies(replication_integration_tests ccdr)
catch_discover_tests(replication_integration_tests TEST_PREFIX "integration." PROPERTIES LABELS integration
                     DISCOVERY_MODE PRE_TEST)
