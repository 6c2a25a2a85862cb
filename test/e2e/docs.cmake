# The operator pages run as a test: every shell block of docs/operations.md
# and docs/monitoring.md, in order, with the tools staged under their
# package names, outputs checked against the page (test/e2e/docs/run_docs.py
# states the convention). The pages use the runbook's fixed ports (cluster A
# Bolt 17687-17689, cluster 16000-16002, Prometheus 12004; B Bolt 7687-7691,
# cluster 6000-6004, Prometheus 2004), as e2e.walkthrough does: the two share
# a resource lock. Sections with servers of their own use other fixed ports
# below the ephemeral range (20000-29999: LA/LB 21000-22999, V 23000-23999,
# FA/FB 24000-25999, C and E 26000-27999, busy 28000-28999, T 29000-29999).
# §8 runs node clients with neo4j-driver from test/e2e (npm ci there, as the
# e2e tests).
if(TARGET refhost AND TARGET ccdr-shell AND TARGET ccdr)
  add_test(NAME e2e.docs
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/docs/docs_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_BINARY_DIR}/docs-test
            ${PROJECT_SOURCE_DIR}/docs/operations.md ${PROJECT_SOURCE_DIR}/docs/monitoring.md)
  set_tests_properties(e2e.docs PROPERTIES LABELS e2e TIMEOUT 600 RESOURCE_LOCK runbook_ports
                       FIXTURES_REQUIRED e2e_node_modules)
endif()
