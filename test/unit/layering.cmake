# The plugin's layers are enforced by the build (plugin/CMakeLists.txt): a
# scratch build shows wrong includes failing to compile and allowed ones
# compiling (test/unit/layering/run_probes.sh).
add_test(NAME unit.layering_enforced
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/unit/layering/run_probes.sh ${PROJECT_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/layering-scratch ${CMAKE_C_COMPILER} ${CMAKE_CXX_COMPILER})
set_tests_properties(unit.layering_enforced PROPERTIES LABELS unit TIMEOUT 600)
