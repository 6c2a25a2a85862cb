# Unit tests of the replication wire: frame and batch codec, hash chain,
# session messages (FINGERPRINT ones included), the bytes of each, plugin
# release versions and their comparison.
add_executable(protocol_unit_tests
  unit/main.cpp
  unit/protocol/codec_test.cpp
  unit/protocol/layout_test.cpp
  unit/protocol/fingerprint_test.cpp
  unit/protocol/plugin_version_test.cpp
  unit/protocol/region_switch_messages_test.cpp
  unit/protocol/log_hold_messages_test.cpp
  unit/protocol/hold_cover_messages_test.cpp
  unit/protocol/lz4_stream_test.cpp
  unit/protocol/short_frame_test.cpp
  unit/protocol/batch_packing_test.cpp
  unit/protocol/tx_part_test.cpp
)
target_link_libraries(protocol_unit_tests PRIVATE ccdr_plugin_core Catch2::Catch2)
target_include_directories(protocol_unit_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
catch_discover_tests(protocol_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
