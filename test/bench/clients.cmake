# The clients benchmark (test/bench/clients/clients_bench.js): 200 writers
# and 800 readers through the official driver against one refhost server
# with a replica attached (issue 23). Needs node and `npm ci` in test/e2e.
# The full form carries `bench;long`; the short form runs in the default
# suite (label e2e: it checks every acknowledged commit on both clusters
# and that no client saw an error the driver does not retry).
if(CCDR_NODE AND TARGET refhost)
  set(_clients ${CMAKE_CURRENT_SOURCE_DIR}/bench/clients/clients_bench.js)
  set(_clients_env "REFHOST_BIN=$<TARGET_FILE:refhost>;CCDR_SHELL_BIN=$<TARGET_FILE:ccdr-shell>;CCDR_PLUGIN=$<TARGET_FILE:ccdr>")
  # 1 000 connections and more in one node process: raise its open-files limit.
  add_test(NAME e2e.clients_quick
    COMMAND sh -c "ulimit -n 8192 2>/dev/null || ulimit -n \$(ulimit -Hn); exec \"$0\" \"$@\"" ${CCDR_NODE} ${_clients} --quick
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
  set_tests_properties(e2e.clients_quick PROPERTIES LABELS e2e TIMEOUT 300 FIXTURES_REQUIRED e2e_node_modules
                       ENVIRONMENT "${_clients_env}")
  add_test(NAME bench.clients
    COMMAND sh -c "ulimit -n 8192 2>/dev/null || ulimit -n \$(ulimit -Hn); exec \"$0\" \"$@\"" ${CCDR_NODE} ${_clients}
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
  set_tests_properties(bench.clients PROPERTIES LABELS "bench;long" TIMEOUT 900 FIXTURES_REQUIRED e2e_node_modules
                       ENVIRONMENT "${_clients_env}")
endif()
