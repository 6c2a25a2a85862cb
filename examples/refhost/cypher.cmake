# The refhost's Cypher engine (examples/refhost/cypher/): lexer, parser,
# checker, executor, administration, SHOW and procedures.
add_library(refhost_cypher STATIC
  cypher/admin.cpp
  cypher/aggregation.cpp
  cypher/ast_print.cpp
  cypher/checker.cpp
  cypher/engine.cpp
  cypher/evaluator.cpp
  cypher/datetime_function.cpp
  cypher/executor.cpp
  cypher/functions.cpp
  cypher/lexer.cpp
  cypher/match.cpp
  cypher/parse_cache.cpp
  cypher/parser_admin.cpp
  cypher/parser_core.cpp
  cypher/parser_expr.cpp
  cypher/parser_pattern.cpp
  cypher/parser_security.cpp
  cypher/parser_statement.cpp
  cypher/procedures.cpp
  cypher/projection.cpp
  cypher/security_commands.cpp
  cypher/security_show.cpp
  cypher/show.cpp
  cypher/show_columns.cpp
  cypher/source_position.cpp
  cypher/updates.cpp
  cypher/values.cpp
)
target_include_directories(refhost_cypher PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
# No ccdr::cpp: the engine sees refhost::Error only (frontend.cmake says why).
target_link_libraries(refhost_cypher PUBLIC ccdr::options)
