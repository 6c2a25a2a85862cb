// plugin/runtime/tsv_file.hpp: the plugin's small state files (log holds,
// owed hold releases): one record per line, tab-separated fields, replaced
// whole and durably (written to a temporary file, synced, renamed) so that a
// crash leaves either the old file or the new one.
#pragma once

#include <ccdr/status.hpp>

#include <string>
#include <vector>

namespace ccdr::runtime {

// A field as it may be stored: tabs and line breaks become spaces.
std::string tsv_field(std::string text);

// Every line's fields, in order (line i of the file is rows[i]); nothing when
// the file does not exist.
std::vector<std::vector<std::string>> read_tsv(const std::string& path);

// Creates the parent directory if needed.
Status write_tsv_durably(const std::string& path, const std::vector<std::vector<std::string>>& rows);

}  // namespace ccdr::runtime
