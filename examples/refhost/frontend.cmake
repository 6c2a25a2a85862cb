# The refhost's client-facing front end: PackStream, Bolt framing and
# handshake, the Bolt server (one per logical server, on Boost.Asio) and the
# Bolt client used by ccdr-shell, tests and benchmarks. Include root:
# examples/refhost.
add_library(refhost_bolt STATIC
  bolt/packstream.cpp
  bolt/chunking.cpp
  bolt/handshake.cpp
  bolt/message.cpp
  bolt/failure.cpp
  bolt/query_kind.cpp
  bolt/session.cpp
  bolt/worker_pool.cpp
  bolt/connection_budget.cpp
  bolt/server.cpp
  bolt/tls.cpp
  bolt/bolt_stream.cpp
  bolt/client.cpp
  bolt/client_tls.cpp
)
target_include_directories(refhost_bolt PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
# No ccdr::cpp, here or in refhost_cypher: the front ends see refhost::Error
# only; a ccdr::Status becomes one on the DBMS side (common/client_error.hpp),
# and a front-end file that includes a ccdr header does not compile.
target_link_libraries(refhost_bolt PUBLIC ccdr::options ccdr::asio OpenSSL::SSL OpenSSL::Crypto Threads::Threads
                      spdlog::spdlog)

# ccdr-shell: a cypher-shell work-alike on the Bolt client. The library holds
# everything but main() so tests can run the shell in-process.
add_library(refhost_shell STATIC
  shell/literal.cpp
  shell/script.cpp
  shell/render.cpp
  shell/output.cpp
  shell/options.cpp
  shell/session.cpp
  shell/shell.cpp
)
target_link_libraries(refhost_shell PUBLIC refhost_bolt ccdr::options)
target_compile_definitions(refhost_shell PUBLIC CCDR_SHELL_VERSION="${PROJECT_VERSION}")

add_executable(ccdr-shell shell/main.cpp)
target_link_libraries(ccdr-shell PRIVATE refhost_shell ccdr::options)
install(TARGETS ccdr-shell RUNTIME DESTINATION bin COMPONENT refhost)

# GCC warns that ThreadSanitizer does not model std::atomic_thread_fence,
# which Boost.Asio uses internally; the warning is about Asio, not our code.
if("thread" IN_LIST CCDR_SANITIZER AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(refhost_bolt PUBLIC -Wno-tsan)
endif()
