#include "runtime/tsv_file.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace ccdr::runtime {

std::string tsv_field(std::string text) {
    for (char& c : text) {
        if (c == '\t' || c == '\n' || c == '\r') {
            c = ' ';
        }
    }
    return text;
}

std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
    std::vector<std::vector<std::string>> rows;
    std::ifstream in(path);
    std::string line;
    while (in && std::getline(in, line)) {
        std::vector<std::string> fields;
        std::stringstream ss(line);
        std::string part;
        while (std::getline(ss, part, '\t')) {
            fields.push_back(part);
        }
        rows.push_back(std::move(fields));
    }
    return rows;
}

Status write_tsv_durably(const std::string& path, const std::vector<std::vector<std::string>>& rows) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    const std::string temp = path + ".tmp";
    std::FILE* out = std::fopen(temp.c_str(), "w");
    if (out == nullptr) {
        return {CCDR_IO_ERROR, "cannot write " + temp};
    }
    bool ok = true;
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += (i == 0 ? "" : "\t") + tsv_field(row[i]);
        }
        line += "\n";
        ok = ok && std::fwrite(line.data(), 1, line.size(), out) == line.size();
    }
    ok = ok && std::fflush(out) == 0 && ::fdatasync(::fileno(out)) == 0;
    ok = std::fclose(out) == 0 && ok;
    if (!ok) {
        return {CCDR_IO_ERROR, "cannot write " + temp};
    }
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        return {CCDR_IO_ERROR, "cannot rename " + temp + " to " + path + ": " + ec.message()};
    }
    return {};
}

}  // namespace ccdr::runtime
