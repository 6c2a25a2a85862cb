// plugin/procedures/procedure_fields.hpp: the static text of a procedure's
// declaration (register_procedure borrows it; it stays in the plugin's
// image): names, descriptions, and the fields of arguments and output
// columns.
#pragma once

#include <ccdr/abi.h>

#include <cstdint>
#include <string_view>

namespace ccdr::plugin {

constexpr ccdr_string static_text(std::string_view v) { return ccdr_string{v.data(), v.size()}; }

// A required argument or an output column.
constexpr ccdr_field field(std::string_view name, ccdr_type type, std::string_view description) {
    return ccdr_field{static_text(name), static_cast<uint32_t>(type), 0, {}, static_text(description)};
}

}  // namespace ccdr::plugin
