#include "metrics/metric_sample.hpp"

#include <cmath>
#include <cstdio>
#include <map>

namespace refhost {

std::string prometheus_name(const std::string& dotted, ccdr_metric_type type) {
    std::string out;
    out.reserve(dotted.size() + 6);
    for (char c : dotted) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
        out += ok ? c : '_';
    }
    if (!out.empty() && out[0] >= '0' && out[0] <= '9') {
        out.insert(out.begin(), '_');
    }
    if (type == CCDR_METRIC_COUNTER) {
        out += "_total";
    }
    return out;
}

namespace {

bool integral(double v) { return std::isfinite(v) && std::trunc(v) == v && std::fabs(v) < 9.0e15; }

std::string label_value(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\' || c == '"') {
            out += '\\';
        }
        out += c == '\n' ? 'n' : c;
    }
    return out;
}

// An integral value as an integer followed by `integral_suffix`, any other
// with 17 significant digits.
std::string number_text(double v, const char* integral_suffix) {
    char buf[64];
    if (integral(v)) {
        std::snprintf(buf, sizeof buf, "%lld%s", static_cast<long long>(v), integral_suffix);
    } else {
        std::snprintf(buf, sizeof buf, "%.17g", v);
    }
    return buf;
}

}  // namespace

std::string csv_value(double v) { return number_text(v, ""); }

std::string prometheus_value(double v) {
    if (std::isnan(v)) {
        return "NaN";
    }
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    return number_text(v, ".0");
}

std::string prometheus_text(const std::vector<MetricSample>& samples) {
    struct Family {
        ccdr_metric_type type;
        std::vector<const MetricSample*> samples;
    };
    std::map<std::string, Family> families;
    for (const auto& s : samples) {
        auto& f = families[prometheus_name(s.name, s.type)];
        f.type = s.type;
        f.samples.push_back(&s);
    }
    std::string out;
    for (const auto& [name, f] : families) {
        out += "# TYPE " + name + (f.type == CCDR_METRIC_COUNTER ? " counter\n" : " gauge\n");
        for (const auto* s : f.samples) {
            out += name + "{server=\"" + label_value(s->server_id) + "\"} " + prometheus_value(s->value) + "\n";
        }
    }
    return out;
}

}  // namespace refhost
