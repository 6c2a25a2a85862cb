# End-to-end tests: each test/e2e/*.test.js file starts its own refhost
# cluster (3 servers on free 127.0.0.1 ports) and talks to it with the
# official JavaScript driver (neo4j-driver 6.3.0, `npm ci` in test/e2e) or
# with ccdr-shell. The programs are passed as environment variables.
find_program(CCDR_NODE node)
if(CCDR_NODE AND TARGET refhost AND TARGET ccdr-shell)
  set(_e2e_dir ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
  # Fails with a clear message when `npm ci` has not been run.
  add_test(NAME e2e.node_modules
    COMMAND ${CCDR_NODE} -e "try { require.resolve('neo4j-driver'); } catch (e) { console.error('neo4j-driver is not installed: run npm ci in ${_e2e_dir}'); process.exit(1); }"
    WORKING_DIRECTORY ${_e2e_dir})
  set_tests_properties(e2e.node_modules PROPERTIES LABELS e2e FIXTURES_SETUP e2e_node_modules)

  file(GLOB _e2e_files CONFIGURE_DEPENDS ${_e2e_dir}/*.test.js)
  foreach(file IN LISTS _e2e_files)
    get_filename_component(_name ${file} NAME)
    string(REPLACE ".test.js" "" _name ${_name})
    # Some files open more sockets than a default login's open-files limit
    # (1 024) allows: raise it for the test process.
    add_test(NAME e2e.${_name}
      COMMAND sh -c "ulimit -n 8192 2>/dev/null || ulimit -n \$(ulimit -Hn); exec \"$0\" --test \"$1\"" ${CCDR_NODE} ${file}
      WORKING_DIRECTORY ${_e2e_dir})
    set_tests_properties(e2e.${_name} PROPERTIES
      LABELS e2e
      TIMEOUT 600
      FIXTURES_REQUIRED e2e_node_modules
      ENVIRONMENT "REFHOST_BIN=$<TARGET_FILE:refhost>;CCDR_SHELL_BIN=$<TARGET_FILE:ccdr-shell>;CCDR_PLUGIN=$<TARGET_FILE:ccdr>;CCDR_PLUGIN_V0_3_0=$<TARGET_FILE:ccdr_v0_3_0>;CCDR_PLUGIN_V1_0_0=$<TARGET_FILE:ccdr_v1_0_0>")
  endforeach()
endif()
