// examples/refhost/shell/output.hpp: a result as cypher-shell prints it.
//
// table (cypher-shell's verbose form):
//   +-----------------+
//   | name    | n     |
//   +-----------------+
//   | "neo4j" | 1     |
//   +-----------------+
//
//   1 row available after 3 ms, consumed after another 1 ms
//   Added 1 nodes, Set 2 properties
// plain: the column names, then one line per row, values separated by ", ".
#pragma once

#include "bolt/client.hpp"

#include <ostream>
#include <string>

namespace refhost::shell {

enum class Format { Table, Plain };

void print_result(std::ostream& out, Format format, const bolt::ResultSet& result);

// "Added 1 nodes, Set 2 properties" from a summary's stats; "" without updates.
std::string statistics_line(const Map& summary);

}  // namespace refhost::shell
