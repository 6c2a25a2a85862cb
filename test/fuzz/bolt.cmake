# libFuzzer targets for the refhost's Bolt front end (preset `fuzz`, clang):
#   packstream_fuzz    the PackStream decoder (and message decoding)
#   bolt_session_fuzz  handshake, framing and the session state machine
#                      against the fake DBMS and engine
# The sources are compiled into each fuzzer so they carry the coverage
# instrumentation. Each runs 10 s in CTest (label fuzz) and 600 s under
# labels fuzz;long; new inputs go to a corpus in the build tree, the
# committed seeds (test/fuzz/corpus/<target>/) are read only.
if(CCDR_BUILD_REFHOST AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(_bolt_dir ${PROJECT_SOURCE_DIR}/examples/refhost/bolt)
  set(_bolt_codec ${_bolt_dir}/packstream.cpp ${_bolt_dir}/chunking.cpp ${_bolt_dir}/message.cpp)
  set(_bolt_session ${_bolt_codec} ${_bolt_dir}/handshake.cpp ${_bolt_dir}/failure.cpp
      ${_bolt_dir}/query_kind.cpp ${_bolt_dir}/session.cpp ${CMAKE_CURRENT_SOURCE_DIR}/support/bolt_fakes.cpp)

  foreach(target packstream bolt_session)
    if(target STREQUAL "packstream")
      set(_sources ${_bolt_codec})
    else()
      set(_sources ${_bolt_session})
    endif()
    add_executable(${target}_fuzz fuzz/${target}_fuzz.cpp ${_sources})
    target_include_directories(${target}_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/examples/refhost
                               ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_options(${target}_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${target}_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${target}_fuzz PRIVATE ccdr::cpp ccdr::options)

    set(_work ${CMAKE_CURRENT_BINARY_DIR}/fuzz/${target}_corpus)
    set(_seeds ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${target})
    file(MAKE_DIRECTORY ${_work})
    set(_args -timeout=10 -rss_limit_mb=2048 -max_len=8192 ${_work} ${_seeds})
    add_test(NAME fuzz.${target} COMMAND ${target}_fuzz -max_total_time=10 ${_args})
    set_tests_properties(fuzz.${target} PROPERTIES LABELS fuzz TIMEOUT 120)
    add_test(NAME fuzz.${target}_long COMMAND ${target}_fuzz -max_total_time=600 ${_args})
    set_tests_properties(fuzz.${target}_long PROPERTIES LABELS "fuzz;long" TIMEOUT 900)
  endforeach()
endif()
