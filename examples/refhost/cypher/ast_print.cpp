// examples/refhost/cypher/ast_print.cpp: canonical text of expressions.
#include "cypher/ast.hpp"

#include "cypher/text.hpp"
#include "cypher/values.hpp"


namespace refhost::cypher {

namespace {

const char* op_text(Op op) {
    switch (op) {
        case Op::Or: return "OR";
        case Op::Xor: return "XOR";
        case Op::And: return "AND";
        case Op::Not: return "NOT";
        case Op::Eq: return "=";
        case Op::Ne: return "<>";
        case Op::Lt: return "<";
        case Op::Le: return "<=";
        case Op::Gt: return ">";
        case Op::Ge: return ">=";
        case Op::Add: return "+";
        case Op::Sub: return "-";
        case Op::Mul: return "*";
        case Op::Div: return "/";
        case Op::Mod: return "%";
        case Op::Pow: return "^";
        case Op::Neg: return "-";
        case Op::Plus: return "+";
        case Op::In: return "IN";
        case Op::StartsWith: return "STARTS WITH";
        case Op::EndsWith: return "ENDS WITH";
        case Op::Contains: return "CONTAINS";
        case Op::IsNull: return "IS NULL";
        case Op::IsNotNull: return "IS NOT NULL";
    }
    return "?";
}

std::string child(const ExprPtr& e) { return e ? canonical(*e) : std::string(); }

}  // namespace

std::string canonical(const Expr& e) {
    switch (e.kind) {
        case ExprKind::Literal:
            return e.value.is<std::string>() ? "'" + e.value.as<std::string>() + "'" : describe_value(e.value) +
                                                                                          ":" + type_name(e.value);
        case ExprKind::Parameter: return "$" + e.name;
        case ExprKind::Variable: return "`" + e.name + "`";
        case ExprKind::Property: return "(" + child(e.children[0]) + ").`" + e.name + "`";
        case ExprKind::Index: return "(" + child(e.children[0]) + ")[" + child(e.children[1]) + "]";
        case ExprKind::Slice:
            return "(" + child(e.children[0]) + ")[" + child(e.children[1]) + ".." + child(e.children[2]) + "]";
        case ExprKind::HasLabels: {
            std::string s = "(" + child(e.children[0]) + ")";
            for (const auto& l : e.names) {
                s += ":`" + l + "`";
            }
            return s;
        }
        case ExprKind::ListLiteral: {
            std::string s = "[";
            for (const auto& c : e.children) {
                s += child(c) + ",";
            }
            return s + "]";
        }
        case ExprKind::MapLiteral: {
            std::string s = "{";
            for (size_t i = 0; i < e.children.size(); ++i) {
                s += "`" + e.names[i] + "`:" + child(e.children[i]) + ",";
            }
            return s + "}";
        }
        case ExprKind::Unary: return std::string(op_text(e.op)) + "(" + child(e.children[0]) + ")";
        case ExprKind::Binary:
            return "(" + child(e.children[0]) + " " + op_text(e.op) + " " + child(e.children[1]) + ")";
        case ExprKind::Comparison: {
            std::string s = "(" + child(e.children[0]);
            for (size_t i = 0; i < e.ops.size(); ++i) {
                s += std::string(" ") + op_text(e.ops[i]) + " " + child(e.children[i + 1]);
            }
            return s + ")";
        }
        case ExprKind::Function: {
            std::string s = ascii_lower(e.name) + "(" + (e.distinct ? "DISTINCT " : "");
            for (const auto& c : e.children) {
                s += child(c) + ",";
            }
            return s + ")";
        }
        case ExprKind::CountStar: return "count(*)";
        case ExprKind::Case: {
            std::string s = "CASE";
            for (const auto& c : e.children) {
                s += " " + child(c);
            }
            return s + (e.case_subject ? " S" : "") + (e.case_else ? " E" : "") + " END";
        }
    }
    return "?";
}

}  // namespace refhost::cypher
