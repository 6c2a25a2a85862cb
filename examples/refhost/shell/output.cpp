// examples/refhost/shell/output.cpp: table and plain output.
#include "shell/output.hpp"

#include "shell/render.hpp"

#include <vector>

namespace refhost::shell {

namespace {

int64_t int_field(const Map& m, const char* key) {
    auto it = m.find(key);
    return it != m.end() && it->second.is<int64_t>() ? it->second.as<int64_t>() : 0;
}

std::string pad(const std::string& s, size_t width) { return s + std::string(width - display_width(s), ' '); }

std::string row_line(const std::vector<std::string>& cells, const std::vector<size_t>& widths) {
    std::string line = "|";
    for (size_t i = 0; i < cells.size(); ++i) {
        line += " " + pad(cells[i], widths[i]) + " |";
    }
    return line;
}

}  // namespace

std::string statistics_line(const Map& summary) {
    auto it = summary.find("stats");
    if (it == summary.end() || !it->second.is<Map>()) {
        return "";
    }
    const Map& stats = it->second.as<Map>();
    struct Item {
        const char* key;
        const char* before;
        const char* after;
    };
    // cypher-shell's order and wording.
    static constexpr Item kItems[] = {
        {"nodes-created", "Added ", " nodes"},
        {"nodes-deleted", "Deleted ", " nodes"},
        {"relationships-created", "Created ", " relationships"},
        {"relationships-deleted", "Deleted ", " relationships"},
        {"properties-set", "Set ", " properties"},
        {"labels-added", "Added ", " labels"},
        {"labels-removed", "Removed ", " labels"},
        {"indexes-added", "Added ", " indexes"},
        {"indexes-removed", "Removed ", " indexes"},
        {"constraints-added", "Added ", " constraints"},
        {"constraints-removed", "Removed ", " constraints"},
    };
    std::string line;
    for (const auto& item : kItems) {
        int64_t n = int_field(stats, item.key);
        if (n != 0) {
            line += (line.empty() ? "" : ", ") + std::string(item.before) + std::to_string(n) + item.after;
        }
    }
    return line;
}

void print_result(std::ostream& out, Format format, const bolt::ResultSet& result) {
    if (format == Format::Plain) {
        if (result.fields.empty()) {
            return;
        }
        std::string header;
        for (size_t i = 0; i < result.fields.size(); ++i) {
            header += (i == 0 ? "" : ", ") + result.fields[i];
        }
        out << header << '\n';
        for (const auto& row : result.records) {
            std::string line;
            for (size_t i = 0; i < row.size(); ++i) {
                line += (i == 0 ? "" : ", ") + render(row[i]);
            }
            out << line << '\n';
        }
        return;
    }

    if (!result.fields.empty()) {
        std::vector<size_t> widths;
        for (const auto& f : result.fields) {
            widths.push_back(display_width(f));
        }
        std::vector<std::vector<std::string>> cells;
        for (const auto& row : result.records) {
            std::vector<std::string> line;
            for (size_t i = 0; i < result.fields.size(); ++i) {
                line.push_back(i < row.size() ? render(row[i]) : std::string("NULL"));
                widths[i] = std::max(widths[i], display_width(line.back()));
            }
            cells.push_back(std::move(line));
        }
        std::string header = row_line(result.fields, widths);
        std::string border = "+" + std::string(display_width(header) - 2, '-') + "+";
        out << border << '\n' << header << '\n' << border << '\n';
        for (const auto& line : cells) {
            out << row_line(line, widths) << '\n';
        }
        out << border << '\n';
        out << '\n';
    }
    size_t n = result.records.size();
    out << n << (n == 1 ? " row" : " rows") << " available after " << int_field(result.run_metadata, "t_first")
        << " ms, consumed after another " << int_field(result.summary, "t_last") << " ms\n";
    std::string stats = statistics_line(result.summary);
    if (!stats.empty()) {
        out << stats << '\n';
    }
}

}  // namespace refhost::shell
