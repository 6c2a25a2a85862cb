# libFuzzer target for the refhost's Cypher parser (preset `fuzz`, clang).
# The engine's sources are compiled into the fuzzer itself so that they carry
# the coverage instrumentation; the regular refhost_cypher library stays plain.
if(CCDR_BUILD_REFHOST AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  file(GLOB _cypher_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/examples/refhost/cypher/*.cpp)
  add_executable(cypher_parser_fuzz fuzz/cypher_parser_fuzz.cpp ${_cypher_sources})
  target_include_directories(cypher_parser_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/examples/refhost)
  target_compile_options(cypher_parser_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(cypher_parser_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(cypher_parser_fuzz PRIVATE ccdr::cpp ccdr::options)

  # New inputs go to a corpus in the build tree; the committed seeds are read only.
  set(_cypher_work ${CMAKE_CURRENT_BINARY_DIR}/fuzz/cypher_parser_corpus)
  set(_cypher_seeds ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/cypher_parser)
  file(MAKE_DIRECTORY ${_cypher_work})
  set(_cypher_args -dict=${CMAKE_CURRENT_SOURCE_DIR}/fuzz/cypher_parser.dict -timeout=10 -rss_limit_mb=2048
      -max_len=4096 ${_cypher_work} ${_cypher_seeds})
  add_test(NAME fuzz.cypher_parser COMMAND cypher_parser_fuzz -max_total_time=10 ${_cypher_args})
  set_tests_properties(fuzz.cypher_parser PROPERTIES LABELS fuzz TIMEOUT 120)
  add_test(NAME fuzz.cypher_parser_long COMMAND cypher_parser_fuzz -max_total_time=600 ${_cypher_args})
  set_tests_properties(fuzz.cypher_parser_long PROPERTIES LABELS "fuzz;long" TIMEOUT 900)
endif()
