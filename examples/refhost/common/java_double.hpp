// examples/refhost/common/java_double.hpp: a double as Java's
// Double.toString prints it (JDK 19 and later, which Neo4j and cypher-shell
// run on), for Cypher's toString() and string concatenation and for
// ccdr-shell's output: one algorithm for both.
//
// Java picks the shortest decimal that reads back as the same double (so
// 0.008, never 0.0080000000000000002), except that a one-digit decimal gives
// way to the closest two-digit one (Double.MIN_VALUE is 4.9E-324, not
// 5.0E-324). It prints plain for 1e-3 <= |d| < 1e7 and d.dddE±n otherwise,
// always with a digit after the point. std::to_chars gives the shortest
// round-trip digits without depending on the C locale.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>

namespace refhost {

inline std::string java_double(double d) {
    if (std::isnan(d)) {
        return "NaN";
    }
    if (std::isinf(d)) {
        return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
        return std::signbit(d) ? "-0.0" : "0.0";
    }
    // Shortest round-trip digits in scientific form: "[-]d.ddde[+-]XX".
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
    if (sci.find('.') == std::string_view::npos) {
        // One digit: Java takes the closest two-digit decimal when it reads
        // back as d too (correctly rounded, it is the closest there is).
        char two[64];
        auto t = std::to_chars(two, two + sizeof two, d, std::chars_format::scientific, 1);
        double back = 0;
        auto parsed = std::from_chars(two, t.ptr, back);
        if (parsed.ec == std::errc() && back == d) {
            std::copy(two, t.ptr, buf);
            sci = std::string_view(buf, static_cast<size_t>(t.ptr - two));
        }
    }
    bool negative = sci.front() == '-';
    if (negative) {
        sci.remove_prefix(1);
    }
    size_t e = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e)) {
        if (c != '.') {
            digits.push_back(c);
        }
    }
    int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());
    while (digits.size() > 1 && digits.back() == '0') {
        digits.pop_back();
    }
    std::string out = negative ? "-" : "";
    double magnitude = std::fabs(d);
    if (magnitude >= 1e-3 && magnitude < 1e7) {
        if (exponent >= 0) {
            std::string whole = digits.substr(0, std::min<size_t>(digits.size(), static_cast<size_t>(exponent) + 1));
            whole += std::string(static_cast<size_t>(exponent) + 1 - whole.size(), '0');
            std::string frac = digits.size() > whole.size() ? digits.substr(whole.size()) : "0";
            return out + whole + "." + frac;
        }
        return out + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
    std::string frac = digits.size() > 1 ? digits.substr(1) : "0";
    return out + digits.substr(0, 1) + "." + frac + "E" + std::to_string(exponent);
}

}  // namespace refhost
