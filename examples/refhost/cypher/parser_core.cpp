// examples/refhost/cypher/parser_core.cpp: token helpers, error reporting,
// and the statement dispatch (query, administration, SHOW).
#include "cypher/parser.hpp"
#include "cypher/parser_impl.hpp"
#include "cypher/query_error.hpp"
#include "cypher/source_position.hpp"
#include "cypher/text.hpp"

#include <algorithm>

namespace refhost::cypher {

namespace {


// Cypher that Neo4j accepts and the refhost does not: named in the error so
// that a user knows it is the subset, not a typo.
constexpr std::string_view kUnsupportedKeywords[] = {
    "MERGE", "FOREACH", "LOAD", "USE", "UNION", "FINISH", "ALTER", "DENY", "TERMINATE",
    "ENABLE", "DEALLOCATE", "REALLOCATE", "RENAME", "DRYRUN", "INSERT", "EXPLAIN", "PROFILE", "USING",
    "NODETACH", "FILTER", "LET", "NEXT", "EXISTS", "SHORTESTPATH", "ALLSHORTESTPATHS", "INDEX", "INDEXES",
    "CONSTRAINT", "CONSTRAINTS", "ALIAS", "ALIASES", "COMPOSITE", "REPLICA",
    "FUNCTIONS", "TRANSACTIONS", "PRIVILEGES", "SETTINGS",
};

}  // namespace

std::string anonymous_name(size_t offset) { return "  UNNAMED" + std::to_string(offset); }
bool is_anonymous(const std::string& var) { return var.rfind("  UNNAMED", 0) == 0; }

const char* command_name(AdminKind k) {
    switch (k) {
        case AdminKind::CreateDatabase: return "CREATE DATABASE";
        case AdminKind::DropDatabase: return "DROP DATABASE";
        case AdminKind::StartDatabase: return "START DATABASE";
        case AdminKind::StopDatabase: return "STOP DATABASE";
        case AdminKind::AlterDatabase: return "ALTER DATABASE";
    }
    return "?";
}

Parser::Parser(std::string_view query) : query_(query), tokens_(tokenize(query)) {}

const Token& Parser::peek(size_t ahead) const {
    size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
}

const Token& Parser::advance() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) {
        ++pos_;
    }
    return t;
}

bool Parser::is_kw(const Token& t, std::string_view kw) const {
    return t.kind == TokenKind::Identifier && iequals(t.text, kw);
}

bool Parser::accept_kw(std::string_view kw) {
    if (at_kw(kw)) {
        advance();
        return true;
    }
    note("'" + std::string(kw) + "'");
    return false;
}

void Parser::expect_kw(std::string_view kw) {
    if (!accept_kw(kw)) {
        fail_expected();
    }
}

bool Parser::at_sym(std::string_view s, size_t ahead) const {
    const Token& t = peek(ahead);
    return t.kind == TokenKind::Symbol && t.text == s;
}

bool Parser::accept_sym(std::string_view s) {
    if (at_sym(s)) {
        advance();
        return true;
    }
    note("'" + std::string(s) + "'");
    return false;
}

void Parser::expect_sym(std::string_view s) {
    if (!accept_sym(s)) {
        fail_expected();
    }
}

bool Parser::at_name(size_t ahead) const {
    auto k = peek(ahead).kind;
    return k == TokenKind::Identifier || k == TokenKind::QuotedIdentifier;
}

void Parser::note(std::string what) {
    if (noted_at_ != pos_) {
        // Expectations at an earlier token are moot once the parser moved on;
        // those at a later token (after backtracking) are the better report.
        if (noted_at_ != static_cast<size_t>(-1) && noted_at_ > pos_) {
            return;
        }
        noted_at_ = pos_;
        expected_.clear();
    }
    if (std::find(expected_.begin(), expected_.end(), what) == expected_.end()) {
        expected_.push_back(std::move(what));
    }
}

void Parser::fail_at(size_t offset, const std::string& message) {
    throw_error(status::kSyntaxError, syntax_message(query_, offset, message));
}

void Parser::fail_expected() {
    size_t at = pos_;
    if (noted_at_ != static_cast<size_t>(-1) && noted_at_ > at) {
        at = noted_at_;
    }
    const Token& t = tokens_[std::min(at, tokens_.size() - 1)];
    std::string message = "Invalid input '" + token_display(query_, t) + "'";
    if (noted_at_ == at && !expected_.empty()) {
        message += ": expected ";
        for (size_t i = 0; i < expected_.size(); ++i) {
            if (i > 0) {
                message += i + 1 == expected_.size() ? " or " : ", ";
            }
            message += expected_[i];
        }
    }
    std::string text = syntax_message(query_, t.offset, message);
    if (t.kind == TokenKind::Identifier) {
        for (auto kw : kUnsupportedKeywords) {
            if (iequals(t.text, kw)) {
                text += "\n'" + std::string(kw) +
                        "' here is Cypher the refhost does not support (docs/cypher.md lists the subset).";
                break;
            }
        }
    }
    throw_error(status::kSyntaxError, text);
}

void Parser::fail_unsupported(const Token& t, const std::string& what) {
    fail_at(t.offset, "Invalid input '" + token_display(query_, t) + "': " + what +
                          " is not supported by the refhost's Cypher subset (docs/cypher.md)");
}

std::string Parser::parse_name(const char* what) {
    if (at_name()) {
        return advance().text;
    }
    note(what);
    fail_expected();
}

std::string Parser::parse_variable() { return parse_name("a variable name"); }

size_t Parser::last_end() const { return pos_ == 0 ? 0 : tokens_[pos_ - 1].end; }

// `CYPHER 5` or `CYPHER 25` may lead any statement, as in Neo4j 2025.06+,
// where it picks the language version for that one query. The refhost's
// subset means the same in both, so the prefix is checked and skipped; any
// other version is a SyntaxError before anything runs.
void Parser::skip_version_prefix() {
    if (!at_kw("CYPHER")) {
        return;
    }
    advance();
    const Token& v = peek();
    if (v.kind == TokenKind::Integer && (v.text == "5" || v.text == "25")) {
        advance();
        return;
    }
    fail_at(v.offset, "Invalid input '" + token_display(query_, v) +
                          "': expected '5' or '25' (the Cypher versions this server runs: CYPHER 5, CYPHER 25)");
}

Statement Parser::parse_statement() {
    Statement st;
    skip_version_prefix();
    bool admin = (at_kw("CREATE") && (at_kw("DATABASE", 1) || (at_kw("OR", 1) && at_kw("REPLACE", 2)))) ||
                 at_kw("DROP") || at_kw("START") || at_kw("STOP") || (at_kw("ALTER") && at_kw("DATABASE", 1));
    if (at_security_command()) {
        st.body = parse_security();
    } else if (admin) {
        st.body = parse_admin();
    } else if (at_kw("SHOW") || (at_kw("TERMINATE") && (at_kw("TRANSACTION", 1) || at_kw("TRANSACTIONS", 1)))) {
        st.body = parse_show();
    } else {
        st.body = parse_query();
    }
    accept_sym(";");
    if (peek().kind != TokenKind::End) {
        note("end of input");
        fail_expected();
    }
    return st;
}

Statement parse(std::string_view query) {
    Parser p(query);
    return p.parse_statement();
}

}  // namespace refhost::cypher
