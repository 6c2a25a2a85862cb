# Unit tests of the refhost's Cypher engine (examples/refhost/cypher/),
# against an in-memory graph and a fake DBMS (test/support/refhost_fakes.*).
if(TARGET refhost_cypher)
  add_library(refhost_test_fakes STATIC support/refhost_fakes.cpp)
  target_include_directories(refhost_test_fakes PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(refhost_test_fakes PUBLIC refhost_cypher ccdr::cpp ccdr::options)

  add_executable(cypher_unit_tests
    unit/cypher/main.cpp
    unit/cypher/smoke_test.cpp
    unit/cypher/syntax_test.cpp
    unit/cypher/version_prefix_test.cpp
    unit/cypher/clauses_test.cpp
    unit/cypher/expressions_test.cpp
    unit/cypher/access_test.cpp
    unit/cypher/admin_test.cpp
    unit/cypher/procedures_test.cpp
  )
  target_link_libraries(cypher_unit_tests PRIVATE refhost_test_fakes refhost_cypher Catch2::Catch2 ccdr::options
                        Threads::Threads)
  catch_discover_tests(cypher_unit_tests TEST_PREFIX "unit." PROPERTIES LABELS unit DISCOVERY_MODE PRE_TEST)
endif()
