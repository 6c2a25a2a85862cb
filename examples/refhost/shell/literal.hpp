// examples/refhost/shell/literal.hpp: Cypher literals for ccdr-shell's
// parameters (-P and :param): numbers, strings, booleans, null, lists and
// maps, as cypher-shell accepts them: `{a: 1, b: 'x'}` or `name => value`.
// Expressions other than literals are refused with the position.
#pragma once

#include "common/error.hpp"
#include "common/value.hpp"

#include <string_view>

namespace refhost::shell {

// One literal filling all of `text` (surrounding whitespace allowed).
Outcome<Value> parse_literal(std::string_view text);

// A parameter definition: `{name: value, ...}` or `name => value`
// (`name: value` is accepted too). Returns the parameters it defines.
Outcome<Map> parse_parameters(std::string_view text);

}  // namespace refhost::shell
