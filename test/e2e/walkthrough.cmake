# The README's main command, as a test: the disaster-recovery walk-through
# (examples/dr/walkthrough.sh) runs against this build and must end with
# exit code 0 (it checks its own steps: refused writes must fail, the replica
# must catch up, promotion and failback must succeed). It uses fixed ports
# (7687-7693, 6000-6006, 17687-17689, 16000-16002, below the ephemeral range
# the other tests draw from).
if(TARGET refhost AND TARGET ccdr-shell AND TARGET ccdr)
  add_test(NAME e2e.walkthrough
    COMMAND ${CMAKE_SOURCE_DIR}/examples/dr/walkthrough.sh --build-dir ${CMAKE_BINARY_DIR}
            --lag-png ${CMAKE_BINARY_DIR}/walkthrough-lag.png)
  set_tests_properties(e2e.walkthrough PROPERTIES LABELS e2e TIMEOUT 300 RESOURCE_LOCK runbook_ports)
endif()
