# Unit tests of the ABI and the C++ bindings over it (abi/, include/ccdr/):
# values, setting values, the plugin loader, a host built with the adapters
# (MemoryHost) under the C vtable, the C header on its own, and the one
# symbol libccdr.so exports.
add_executable(abi_unit_tests
  unit/main.cpp
  unit/abi/value_test.cpp
  unit/abi/setting_values_test.cpp
  unit/abi/plugin_loader_test.cpp
  unit/abi/abi_host_test.cpp
  unit/abi/content_fingerprint_test.cpp
  unit/abi/switch_region_host_test.cpp
)
target_link_libraries(abi_unit_tests PRIVATE ccdr_test_support ccdr_plugin_core Catch2::Catch2)
target_compile_definitions(abi_unit_tests PRIVATE
  CCDR_PLUGIN_PATH="$<TARGET_FILE:ccdr>"
  CCDR_TEST_PLUGIN_DIR="$<TARGET_FILE_DIR:plugin_major2>"
  CCDR_TEST_PROCS_PLUGIN="$<TARGET_FILE:test_procs_plugin>"
  CCDR_NOT_A_PLUGIN="${CMAKE_CURRENT_BINARY_DIR}/not_a_plugin.so")
add_dependencies(abi_unit_tests ccdr plugin_major2 plugin_no_entry plugin_missing_functions
                 plugin_newer_minor test_procs_plugin)
catch_discover_tests(abi_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)

# The ABI header compiles alone as C99 and C11.
foreach(std c99 c11)
  add_test(NAME unit.abi_header_compiles_as_${std}
    COMMAND ${CMAKE_C_COMPILER} -std=${std} -Wall -Wextra -pedantic -Werror -fsyntax-only
            -I${PROJECT_SOURCE_DIR}/abi ${CMAKE_CURRENT_SOURCE_DIR}/unit/abi/abi_header_alone.c)
  set_tests_properties(unit.abi_header_compiles_as_${std} PROPERTIES LABELS unit)
endforeach()

# libccdr.so exports ccdr_plugin_entry and nothing else of ours.
add_test(NAME unit.plugin_exports_one_symbol
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/unit/abi/check_exports.sh $<TARGET_FILE:ccdr>)
set_tests_properties(unit.plugin_exports_one_symbol PROPERTIES LABELS unit)
