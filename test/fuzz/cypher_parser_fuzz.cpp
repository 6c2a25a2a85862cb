// test/fuzz/cypher_parser_fuzz.cpp: libFuzzer target for the Cypher front
// end (lexer, parser, checker). Any input must either parse or fail with a
// SyntaxError; nothing may crash, hang, or throw anything else.
#include "cypher/parse_cache.hpp"
#include "cypher/query_error.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view query(reinterpret_cast<const char*>(data), size);
    try {
        auto st = refhost::cypher::parse_and_check(query);
        (void)st;
    } catch (const refhost::cypher::QueryError& e) {
        // The front end reports syntax (and, for nothing else, parameter) errors only.
        if (e.error().code != "Neo.ClientError.Statement.SyntaxError") {
            std::abort();
        }
    }
    return 0;
}
