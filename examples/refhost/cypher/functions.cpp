// examples/refhost/cypher/functions.cpp: scalar functions with Neo4j's null
// and type rules (null in, null out; a wrong type is a TypeError naming it).
#include "cypher/functions.hpp"

#include "cypher/datetime_function.hpp"
#include "cypher/evaluator.hpp"
#include "cypher/query_error.hpp"
#include "cypher/text.hpp"
#include "cypher/values.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace refhost::cypher {

namespace {

// range() refuses lists longer than this: the refhost keeps results in memory.
constexpr int64_t kMaxRangeSize = 10'000'000;

[[noreturn]] void bad_argument(const char* fn, const char* expected, const Value& got) {
    throw_error(status::kTypeError, std::string("Invalid input for function '") + fn + "()': Expected " + expected +
                                  ", got: " + type_name(got) + " " + describe_value(got));
}

const Node& node_arg(const char* fn, const Value& v) {
    if (!v.is<Node>()) {
        bad_argument(fn, "a NODE", v);
    }
    return v.as<Node>();
}

const Relationship& rel_arg(const char* fn, const Value& v) {
    if (!v.is<Relationship>()) {
        bad_argument(fn, "a RELATIONSHIP", v);
    }
    return v.as<Relationship>();
}

const std::string& string_arg(const char* fn, const Value& v) {
    if (!v.is<std::string>()) {
        bad_argument(fn, "a STRING", v);
    }
    return v.as<std::string>();
}

int64_t int_arg(const char* fn, const Value& v) {
    if (!v.is<int64_t>()) {
        bad_argument(fn, "an INTEGER", v);
    }
    return v.as<int64_t>();
}

// Splits UTF-8 text into characters (code points).
std::vector<std::string> characters(const std::string& s) {
    std::vector<std::string> out;
    for (size_t i = 0; i < s.size();) {
        size_t len = 1;
        while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) {
            ++len;
        }
        out.push_back(s.substr(i, len));
        i += len;
    }
    return out;
}

bool any_null(const std::vector<Value>& args) {
    for (const auto& a : args) {
        if (a.is_null()) {
            return true;
        }
    }
    return false;
}

std::string trim_chars(const std::string& s, bool left, bool right) {
    size_t b = 0, e = s.size();
    auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (left && b < e && space(s[b])) {
        ++b;
    }
    while (right && e > b && space(s[e - 1])) {
        --e;
    }
    return s.substr(b, e - b);
}

std::optional<int64_t> parse_integer_text(const std::string& s) {
    if (s.empty()) {
        return std::nullopt;
    }
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno == 0 && end == s.c_str() + s.size() && !std::isspace(static_cast<unsigned char>(s[0]))) {
        return static_cast<int64_t>(v);
    }
    return std::nullopt;
}

std::optional<double> parse_float_text(const std::string& s) {
    if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) {
        return std::nullopt;
    }
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) {
        return std::nullopt;
    }
    return d;
}

Value fn_to_string(std::vector<Value>& a, EvalContext&) {
    if (a[0].is_null()) {
        return Value();
    }
    auto s = to_cypher_string(a[0]);
    if (!s) {
        bad_argument("toString", "a STRING, NUMBER, BOOLEAN, temporal value or DURATION", a[0]);
    }
    return *s;
}

Value fn_to_integer(std::vector<Value>& a, EvalContext&) {
    const Value& v = a[0];
    if (v.is_null() || v.is<int64_t>()) {
        return v;
    }
    if (auto* b = v.get_if<bool>()) {
        return int64_t{*b ? 1 : 0};
    }
    double d;
    if (auto* s = v.get_if<std::string>()) {
        if (auto i = parse_integer_text(*s)) {
            return *i;
        }
        auto f = parse_float_text(*s);
        if (!f) {
            return Value();
        }
        d = *f;
    } else if (v.is<double>()) {
        d = v.as<double>();
    } else {
        bad_argument("toInteger", "a STRING, NUMBER or BOOLEAN", v);
    }
    if (!std::isfinite(d) || d >= 9.2233720368547758e18 || d < -9.2233720368547758e18) {
        return Value();
    }
    return static_cast<int64_t>(d);
}

Value fn_to_float(std::vector<Value>& a, EvalContext&) {
    const Value& v = a[0];
    if (v.is_null() || v.is<double>()) {
        return v;
    }
    if (auto* i = v.get_if<int64_t>()) {
        return static_cast<double>(*i);
    }
    if (auto* s = v.get_if<std::string>()) {
        auto f = parse_float_text(*s);
        return f ? Value(*f) : Value();
    }
    bad_argument("toFloat", "a STRING or NUMBER", v);
}

Value fn_to_boolean(std::vector<Value>& a, EvalContext&) {
    const Value& v = a[0];
    if (v.is_null() || v.is<bool>()) {
        return v;
    }
    if (auto* i = v.get_if<int64_t>()) {
        return *i != 0;
    }
    if (auto* s = v.get_if<std::string>()) {
        std::string t = ascii_lower(trim_chars(*s, true, true));
        if (t == "true") {
            return true;
        }
        if (t == "false") {
            return false;
        }
        return Value();
    }
    bad_argument("toBoolean", "a STRING, BOOLEAN or INTEGER", v);
}

Value fn_coalesce(std::vector<Value>& a, EvalContext&) {
    for (auto& v : a) {
        if (!v.is_null()) {
            return v;
        }
    }
    return Value();
}

Value fn_size(std::vector<Value>& a, EvalContext&) {
    const Value& v = a[0];
    if (v.is_null()) {
        return v;
    }
    if (auto* l = v.get_if<List>()) {
        return static_cast<int64_t>(l->size());
    }
    if (auto* s = v.get_if<std::string>()) {
        // Java counts UTF-16 code units: a character above U+FFFF counts twice.
        int64_t n = 0;
        for (const auto& ch : characters(*s)) {
            n += ch.size() == 4 ? 2 : 1;
        }
        return n;
    }
    bad_argument("size", "a STRING or LIST", v);
}

Value fn_length(std::vector<Value>& a, EvalContext&) {
    const Value& v = a[0];
    if (v.is_null()) {
        return v;
    }
    if (auto* p = v.get_if<Path>()) {
        return static_cast<int64_t>(p->relationships.size());
    }
    bad_argument("length", "a PATH", v);
}

Value fn_range(std::vector<Value>& a, EvalContext&) {
    if (any_null(a)) {
        throw_error(status::kArgumentError, "range() does not accept null arguments");
    }
    int64_t start = int_arg("range", a[0]);
    int64_t end = int_arg("range", a[1]);
    int64_t step = a.size() > 2 ? int_arg("range", a[2]) : 1;
    if (step == 0) {
        throw_error(status::kArgumentError, "Step argument to range() cannot be zero");
    }
    List out;
    long double count = (static_cast<long double>(end) - static_cast<long double>(start)) / step;
    if (count < 0) {
        return out;
    }
    if (count + 1 > kMaxRangeSize) {
        throw_error(status::kArgumentError, "range(" + std::to_string(start) + ", " + std::to_string(end) + ", " +
                                          std::to_string(step) + ") would hold more than " +
                                          std::to_string(kMaxRangeSize) + " values, the refhost's limit");
    }
    auto n = static_cast<int64_t>(count);
    out.reserve(static_cast<size_t>(n + 1));
    for (int64_t i = 0; i <= n; ++i) {
        out.push_back(start + i * step);
    }
    return out;
}

Value fn_timestamp(std::vector<Value>&, EvalContext& ctx) { return ctx.timestamp_ms; }

Value fn_element_id(std::vector<Value>& a, EvalContext&) {
    const Value& v = a[0];
    if (v.is_null()) {
        return v;
    }
    if (auto* n = v.get_if<Node>()) {
        return n->element_id;
    }
    if (auto* r = v.get_if<Relationship>()) {
        return r->element_id;
    }
    bad_argument("elementId", "a NODE or RELATIONSHIP", v);
}

Value fn_id(std::vector<Value>& a, EvalContext&) {
    const Value& v = a[0];
    if (v.is_null()) {
        return v;
    }
    if (auto* n = v.get_if<Node>()) {
        return n->id;
    }
    if (auto* r = v.get_if<Relationship>()) {
        return r->id;
    }
    bad_argument("id", "a NODE or RELATIONSHIP", v);
}

Value fn_labels(std::vector<Value>& a, EvalContext&) {
    if (a[0].is_null()) {
        return Value();
    }
    List out;
    for (const auto& l : node_arg("labels", a[0]).labels) {
        out.push_back(l);
    }
    return out;
}

Value fn_type(std::vector<Value>& a, EvalContext&) {
    if (a[0].is_null()) {
        return Value();
    }
    return rel_arg("type", a[0]).type;
}

Value fn_keys(std::vector<Value>& a, EvalContext&) {
    const Value& v = a[0];
    if (v.is_null()) {
        return v;
    }
    const Map* m = properties_of(v);
    if (m == nullptr) {
        bad_argument("keys", "a NODE, RELATIONSHIP or MAP", v);
    }
    List out;
    for (const auto& [k, x] : *m) {
        out.push_back(k);
    }
    return out;
}

Value fn_properties(std::vector<Value>& a, EvalContext&) {
    const Value& v = a[0];
    if (v.is_null() || v.is<Map>()) {
        return v;
    }
    if (auto* n = v.get_if<Node>()) {
        return n->properties;
    }
    if (auto* r = v.get_if<Relationship>()) {
        return r->properties;
    }
    bad_argument("properties", "a NODE, RELATIONSHIP or MAP", v);
}

const List* list_or_null(const char* fn, const Value& v) {
    if (v.is_null()) {
        return nullptr;
    }
    if (!v.is<List>()) {
        bad_argument(fn, "a LIST", v);
    }
    return &v.as<List>();
}

Value fn_head(std::vector<Value>& a, EvalContext&) {
    const List* l = list_or_null("head", a[0]);
    return l == nullptr || l->empty() ? Value() : l->front();
}

Value fn_last(std::vector<Value>& a, EvalContext&) {
    const List* l = list_or_null("last", a[0]);
    return l == nullptr || l->empty() ? Value() : l->back();
}

Value fn_tail(std::vector<Value>& a, EvalContext&) {
    const List* l = list_or_null("tail", a[0]);
    if (l == nullptr) {
        return Value();
    }
    return l->empty() ? List{} : List(l->begin() + 1, l->end());
}

Value fn_abs(std::vector<Value>& a, EvalContext&) {
    const Value& v = a[0];
    if (v.is_null()) {
        return v;
    }
    if (auto* i = v.get_if<int64_t>()) {
        if (*i == std::numeric_limits<int64_t>::min()) {
            throw_error(status::kArithmeticError, "long overflow");
        }
        return *i < 0 ? -*i : *i;
    }
    if (auto* d = v.get_if<double>()) {
        return std::fabs(*d);
    }
    bad_argument("abs", "a NUMBER", v);
}

double number_arg(const char* fn, const Value& v) {
    if (!is_number(v)) {
        bad_argument(fn, "a NUMBER", v);
    }
    return as_double(v);
}

Value fn_ceil(std::vector<Value>& a, EvalContext&) {
    return a[0].is_null() ? Value() : Value(std::ceil(number_arg("ceil", a[0])));
}
Value fn_floor(std::vector<Value>& a, EvalContext&) {
    return a[0].is_null() ? Value() : Value(std::floor(number_arg("floor", a[0])));
}
Value fn_round(std::vector<Value>& a, EvalContext&) {
    // Half up, as Java's Math.round: round(-2.5) is -2.0.
    return a[0].is_null() ? Value() : Value(std::floor(number_arg("round", a[0]) + 0.5));
}
Value fn_sqrt(std::vector<Value>& a, EvalContext&) {
    return a[0].is_null() ? Value() : Value(std::sqrt(number_arg("sqrt", a[0])));
}
Value fn_sign(std::vector<Value>& a, EvalContext&) {
    if (a[0].is_null()) {
        return Value();
    }
    double d = number_arg("sign", a[0]);
    return int64_t{d > 0 ? 1 : (d < 0 ? -1 : 0)};
}

Value fn_to_upper(std::vector<Value>& a, EvalContext&) {
    if (a[0].is_null()) {
        return Value();
    }
    std::string s = string_arg("toUpper", a[0]);
    for (auto& c : s) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return s;
}

Value fn_to_lower(std::vector<Value>& a, EvalContext&) {
    if (a[0].is_null()) {
        return Value();
    }
    return ascii_lower(string_arg("toLower", a[0]));
}

Value fn_trim(std::vector<Value>& a, EvalContext&) {
    return a[0].is_null() ? Value() : Value(trim_chars(string_arg("trim", a[0]), true, true));
}
Value fn_ltrim(std::vector<Value>& a, EvalContext&) {
    return a[0].is_null() ? Value() : Value(trim_chars(string_arg("ltrim", a[0]), true, false));
}
Value fn_rtrim(std::vector<Value>& a, EvalContext&) {
    return a[0].is_null() ? Value() : Value(trim_chars(string_arg("rtrim", a[0]), false, true));
}

Value fn_replace(std::vector<Value>& a, EvalContext&) {
    if (any_null(a)) {
        return Value();
    }
    const std::string& s = string_arg("replace", a[0]);
    const std::string& from = string_arg("replace", a[1]);
    const std::string& to = string_arg("replace", a[2]);
    std::string out;
    if (from.empty()) {  // Java inserts the replacement around every character
        out = to;
        for (const auto& ch : characters(s)) {
            out += ch + to;
        }
        return out;
    }
    size_t i = 0;
    for (size_t k; (k = s.find(from, i)) != std::string::npos; i = k + from.size()) {
        out += s.substr(i, k - i) + to;
    }
    return out + s.substr(i);
}

Value fn_substring(std::vector<Value>& a, EvalContext&) {
    if (a[0].is_null()) {
        return Value();
    }
    auto chars = characters(string_arg("substring", a[0]));
    int64_t start = int_arg("substring", a[1]);
    int64_t len = a.size() > 2 ? int_arg("substring", a[2]) : static_cast<int64_t>(chars.size());
    if (start < 0 || len < 0) {
        throw_error(status::kArgumentError, "substring() needs a non-negative start and length, got " +
                                          std::to_string(start) + " and " + std::to_string(len));
    }
    std::string out;
    for (auto i = static_cast<size_t>(start); i < chars.size() && static_cast<int64_t>(i) - start < len; ++i) {
        out += chars[i];
    }
    return out;
}

Value fn_split(std::vector<Value>& a, EvalContext&) {
    if (any_null(a)) {
        return Value();
    }
    const std::string& s = string_arg("split", a[0]);
    const std::string& d = string_arg("split", a[1]);
    List out;
    if (d.empty()) {
        for (const auto& ch : characters(s)) {
            out.push_back(ch);
        }
        return out;
    }
    size_t i = 0;
    for (size_t k; (k = s.find(d, i)) != std::string::npos; i = k + d.size()) {
        out.push_back(s.substr(i, k - i));
    }
    out.push_back(s.substr(i));
    return out;
}

Value fn_reverse(std::vector<Value>& a, EvalContext&) {
    const Value& v = a[0];
    if (v.is_null()) {
        return v;
    }
    if (auto* l = v.get_if<List>()) {
        return List(l->rbegin(), l->rend());
    }
    if (auto* s = v.get_if<std::string>()) {
        auto chars = characters(*s);
        std::string out;
        for (auto it = chars.rbegin(); it != chars.rend(); ++it) {
            out += *it;
        }
        return out;
    }
    bad_argument("reverse", "a STRING or LIST", v);
}

Value endpoint(const char* fn, const Value& v, EvalContext& ctx, bool start) {
    if (v.is_null()) {
        return v;
    }
    const Relationship& r = rel_arg(fn, v);
    if (ctx.graph == nullptr) {
        return Value();
    }
    auto n = ctx.graph->node(start ? r.start_id : r.end_id);
    return n ? Value(*n) : Value();
}

Value fn_start_node(std::vector<Value>& a, EvalContext& ctx) { return endpoint("startNode", a[0], ctx, true); }
Value fn_end_node(std::vector<Value>& a, EvalContext& ctx) { return endpoint("endNode", a[0], ctx, false); }

Value fn_nodes(std::vector<Value>& a, EvalContext&) {
    if (a[0].is_null()) {
        return Value();
    }
    if (!a[0].is<Path>()) {
        bad_argument("nodes", "a PATH", a[0]);
    }
    List out;
    for (const auto& n : a[0].as<Path>().nodes) {
        out.push_back(n);
    }
    return out;
}

Value fn_relationships(std::vector<Value>& a, EvalContext&) {
    if (a[0].is_null()) {
        return Value();
    }
    if (!a[0].is<Path>()) {
        bad_argument("relationships", "a PATH", a[0]);
    }
    List out;
    for (const auto& r : a[0].as<Path>().relationships) {
        out.push_back(r);
    }
    return out;
}


}  // namespace

const std::vector<FunctionDef>& all_functions() {
    constexpr size_t kMany = static_cast<size_t>(-1);
    static const std::vector<FunctionDef> kFunctions = {
        {"count", 1, 1, true, nullptr},
        {"sum", 1, 1, true, nullptr},
        {"avg", 1, 1, true, nullptr},
        {"min", 1, 1, true, nullptr},
        {"max", 1, 1, true, nullptr},
        {"collect", 1, 1, true, nullptr},
        {"toString", 1, 1, false, fn_to_string},
        {"toInteger", 1, 1, false, fn_to_integer},
        {"toFloat", 1, 1, false, fn_to_float},
        {"toBoolean", 1, 1, false, fn_to_boolean},
        {"coalesce", 1, kMany, false, fn_coalesce},
        {"size", 1, 1, false, fn_size},
        {"length", 1, 1, false, fn_length},
        {"range", 2, 3, false, fn_range},
        {"timestamp", 0, 0, false, fn_timestamp},
        {"datetime", 0, 1, false, fn_datetime},
        {"elementId", 1, 1, false, fn_element_id},
        {"id", 1, 1, false, fn_id},
        {"labels", 1, 1, false, fn_labels},
        {"type", 1, 1, false, fn_type},
        {"keys", 1, 1, false, fn_keys},
        {"properties", 1, 1, false, fn_properties},
        {"head", 1, 1, false, fn_head},
        {"last", 1, 1, false, fn_last},
        {"tail", 1, 1, false, fn_tail},
        {"abs", 1, 1, false, fn_abs},
        {"ceil", 1, 1, false, fn_ceil},
        {"floor", 1, 1, false, fn_floor},
        {"round", 1, 1, false, fn_round},
        {"sqrt", 1, 1, false, fn_sqrt},
        {"sign", 1, 1, false, fn_sign},
        {"toUpper", 1, 1, false, fn_to_upper},
        {"toLower", 1, 1, false, fn_to_lower},
        {"trim", 1, 1, false, fn_trim},
        {"ltrim", 1, 1, false, fn_ltrim},
        {"rtrim", 1, 1, false, fn_rtrim},
        {"replace", 3, 3, false, fn_replace},
        {"substring", 2, 3, false, fn_substring},
        {"split", 2, 2, false, fn_split},
        {"reverse", 1, 1, false, fn_reverse},
        {"startNode", 1, 1, false, fn_start_node},
        {"endNode", 1, 1, false, fn_end_node},
        {"nodes", 1, 1, false, fn_nodes},
        {"relationships", 1, 1, false, fn_relationships},
    };
    return kFunctions;
}

const FunctionDef* find_function(std::string_view name) {
    for (const auto& f : all_functions()) {
        if (iequals(f.name, name)) {
            return &f;
        }
    }
    return nullptr;
}

}  // namespace refhost::cypher
