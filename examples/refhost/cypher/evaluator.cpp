// examples/refhost/cypher/evaluator.cpp: expression evaluation with Cypher's
// three-valued logic and null propagation.
#include "cypher/evaluator.hpp"

#include "cypher/functions.hpp"
#include "cypher/query_error.hpp"
#include "cypher/values.hpp"

#include <algorithm>

namespace refhost::cypher {

namespace {

// Tri-state view of a boolean operand; anything else is a TypeError.
Tri truth(const Value& v, const char* op) {
    if (v.is_null()) {
        return Tri::Null;
    }
    if (auto* b = v.get_if<bool>()) {
        return *b ? Tri::True : Tri::False;
    }
    throw_error(status::kTypeError, std::string("Type mismatch: ") + op + " expects BOOLEAN operands but was " +
                                  type_name(v) + " " + describe_value(v));
}

Value evaluate_index(const Value& container, const Value& index) {
    if (container.is_null() || index.is_null()) {
        return Value();
    }
    if (auto* l = container.get_if<List>()) {
        if (!index.is<int64_t>()) {
            throw_error(status::kTypeError, "Type mismatch: a list index must be an INTEGER but was " + type_name(index) +
                                          " " + describe_value(index));
        }
        int64_t i = index.as<int64_t>();
        auto n = static_cast<int64_t>(l->size());
        if (i < 0) {
            i += n;
        }
        return i < 0 || i >= n ? Value() : (*l)[static_cast<size_t>(i)];
    }
    if (container.is<Map>() || container.is<Node>() || container.is<Relationship>()) {
        if (!index.is<std::string>()) {
            throw_error(status::kTypeError, "Type mismatch: a map key must be a STRING but was " + type_name(index) +
                                          " " + describe_value(index));
        }
        return property_of(container, index.as<std::string>());
    }
    throw_error(status::kTypeError, "Type mismatch: expected a LIST or MAP to index but was " + type_name(container) +
                                  " " + describe_value(container));
}

Value evaluate_slice(const Expr& e, const Env& env, EvalContext& ctx) {
    Value container = evaluate(*e.children[0], env, ctx);
    Value from = e.slice_from ? evaluate(*e.children[1], env, ctx) : Value(int64_t{0});
    Value to = e.slice_to ? evaluate(*e.children[2], env, ctx) : Value();
    if (container.is_null() || (e.slice_from && from.is_null()) || (e.slice_to && to.is_null())) {
        return Value();
    }
    if (!container.is<List>()) {
        throw_error(status::kTypeError, "Type mismatch: expected a LIST to slice but was " + type_name(container));
    }
    const List& l = container.as<List>();
    auto n = static_cast<int64_t>(l.size());
    auto bound = [&](const Value& v, int64_t dflt) {
        if (v.is_null()) {
            return dflt;
        }
        if (!v.is<int64_t>()) {
            throw_error(status::kTypeError, "Type mismatch: a slice bound must be an INTEGER but was " + type_name(v));
        }
        int64_t i = v.as<int64_t>();
        if (i < 0) {
            i += n;
        }
        return std::clamp<int64_t>(i, 0, n);
    };
    int64_t b = bound(from, 0);
    int64_t t = bound(to, n);
    if (t <= b) {
        return List{};
    }
    return List(l.begin() + b, l.begin() + t);
}

Value evaluate_in(const Value& item, const Value& list) {
    if (list.is_null()) {
        return Value();
    }
    if (!list.is<List>()) {
        throw_error(status::kTypeError, "Type mismatch: the right side of IN must be a LIST but was " + type_name(list) +
                                      " " + describe_value(list));
    }
    bool unknown = false;
    for (const auto& x : list.as<List>()) {
        Tri t = cypher_equals(item, x);
        if (t == Tri::True) {
            return true;
        }
        unknown = unknown || t == Tri::Null;
    }
    return unknown ? Value() : Value(false);
}

Value evaluate_string_predicate(Op op, const Value& a, const Value& b) {
    if (!a.is<std::string>() || !b.is<std::string>()) {
        return Value();
    }
    const auto& s = a.as<std::string>();
    const auto& p = b.as<std::string>();
    switch (op) {
        case Op::StartsWith: return s.rfind(p, 0) == 0;
        case Op::EndsWith: return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
        default: return s.find(p) != std::string::npos;
    }
}

Value evaluate_comparison(const Expr& e, const Env& env, EvalContext& ctx) {
    Value left = evaluate(*e.children[0], env, ctx);
    Tri result = Tri::True;
    for (size_t i = 0; i < e.ops.size(); ++i) {
        Value right = evaluate(*e.children[i + 1], env, ctx);
        Tri t;
        Op op = e.ops[i];
        if (op == Op::Eq || op == Op::Ne) {
            t = cypher_equals(left, right);
            if (op == Op::Ne && t != Tri::Null) {
                t = t == Tri::True ? Tri::False : Tri::True;
            }
        } else {
            auto c = cypher_compare(left, right);
            if (!c) {
                t = Tri::Null;
            } else {
                bool ok = op == Op::Lt ? *c < 0 : op == Op::Le ? *c <= 0 : op == Op::Gt ? *c > 0 : *c >= 0;
                t = ok ? Tri::True : Tri::False;
            }
        }
        if (t == Tri::False) {
            return false;
        }
        if (t == Tri::Null) {
            result = Tri::Null;
        }
        left = std::move(right);
    }
    return tri_value(result);
}

Value evaluate_logic(const Expr& e, const Env& env, EvalContext& ctx) {
    const char* name = e.op == Op::And ? "AND" : e.op == Op::Or ? "OR" : "XOR";
    Tri l = truth(evaluate(*e.children[0], env, ctx), name);
    if (e.op == Op::And && l == Tri::False) {
        return false;
    }
    if (e.op == Op::Or && l == Tri::True) {
        return true;
    }
    Tri r = truth(evaluate(*e.children[1], env, ctx), name);
    switch (e.op) {
        case Op::And:
            if (r == Tri::False) {
                return false;
            }
            return l == Tri::Null || r == Tri::Null ? Value() : Value(true);
        case Op::Or:
            if (r == Tri::True) {
                return true;
            }
            return l == Tri::Null || r == Tri::Null ? Value() : Value(false);
        default:
            if (l == Tri::Null || r == Tri::Null) {
                return Value();
            }
            return l != r;
    }
}

Value evaluate_case(const Expr& e, const Env& env, EvalContext& ctx) {
    size_t i = 0;
    size_t n = e.children.size() - (e.case_else ? 1 : 0);
    Value subject;
    if (e.case_subject) {
        subject = evaluate(*e.children[0], env, ctx);
        i = 1;
    }
    for (; i + 1 < n; i += 2) {
        bool hit;
        if (e.case_subject) {
            hit = cypher_equals(subject, evaluate(*e.children[i], env, ctx)) == Tri::True;
        } else {
            hit = evaluate_predicate(*e.children[i], env, ctx);
        }
        if (hit) {
            return evaluate(*e.children[i + 1], env, ctx);
        }
    }
    return e.case_else ? evaluate(*e.children.back(), env, ctx) : Value();
}

}  // namespace

const Value* Env::lookup(const std::string& name) const {
    for (const Env* e = this; e != nullptr; e = e->outer) {
        if (e->names == nullptr) {
            continue;
        }
        for (size_t i = 0; i < e->names->size(); ++i) {
            if ((*e->names)[i] == name) {
                return &(*e->row)[i];
            }
        }
    }
    return nullptr;
}

Value property_of(const Value& container, const std::string& key) {
    const Map* m = properties_of(container);
    if (m == nullptr) {
        if (container.is_null()) {
            return Value();
        }
        throw_error(status::kTypeError, "Type mismatch: expected a MAP, NODE or RELATIONSHIP but was " +
                                      type_name(container) + " " + describe_value(container) +
                                      " (reading property `" + key + "`)");
    }
    auto it = m->find(key);
    return it == m->end() ? Value() : it->second;
}

bool evaluate_predicate(const Expr& e, const Env& env, EvalContext& ctx) {
    Value v = evaluate(e, env, ctx);
    if (v.is_null()) {
        return false;
    }
    if (!v.is<bool>()) {
        throw_error(status::kTypeError, "Type mismatch: a predicate must be a BOOLEAN but was " + type_name(v) + " " +
                                      describe_value(v));
    }
    return v.as<bool>();
}

Value evaluate(const Expr& e, const Env& env, EvalContext& ctx) {
    switch (e.kind) {
        case ExprKind::Literal: return e.value;
        case ExprKind::Parameter: {
            auto it = ctx.params.find(e.name);
            if (it == ctx.params.end()) {
                throw_error(status::kParameterMissing, "Expected parameter(s): " + e.name);
            }
            return it->second;
        }
        case ExprKind::Variable: {
            const Value* v = env.lookup(e.name);
            if (v == nullptr) {
                throw_error(status::kSyntaxError, "Variable `" + e.name + "` not defined");
            }
            return *v;
        }
        case ExprKind::Property: return property_of(evaluate(*e.children[0], env, ctx), e.name);
        case ExprKind::Index:
            return evaluate_index(evaluate(*e.children[0], env, ctx), evaluate(*e.children[1], env, ctx));
        case ExprKind::Slice: return evaluate_slice(e, env, ctx);
        case ExprKind::HasLabels: {
            Value v = evaluate(*e.children[0], env, ctx);
            if (v.is_null()) {
                return v;
            }
            if (!v.is<Node>()) {
                throw_error(status::kTypeError, "Type mismatch: a label check needs a NODE but was " + type_name(v));
            }
            const auto& labels = v.as<Node>().labels;
            for (const auto& l : e.names) {
                if (std::find(labels.begin(), labels.end(), l) == labels.end()) {
                    return false;
                }
            }
            return true;
        }
        case ExprKind::ListLiteral: {
            List out;
            out.reserve(e.children.size());
            for (const auto& c : e.children) {
                out.push_back(evaluate(*c, env, ctx));
            }
            return out;
        }
        case ExprKind::MapLiteral: {
            Map out;
            for (size_t i = 0; i < e.children.size(); ++i) {
                out[e.names[i]] = evaluate(*e.children[i], env, ctx);
            }
            return out;
        }
        case ExprKind::Unary: {
            Value v = evaluate(*e.children[0], env, ctx);
            switch (e.op) {
                case Op::Not: {
                    Tri t = truth(v, "NOT");
                    return t == Tri::Null ? Value() : Value(t == Tri::False);
                }
                case Op::IsNull: return v.is_null();
                case Op::IsNotNull: return !v.is_null();
                case Op::Neg: return negate(v);
                default:
                    if (!v.is_null() && !is_number(v)) {
                        throw_error(status::kTypeError, "Type mismatch: unary + expects a NUMBER but was " + type_name(v));
                    }
                    return v;
            }
        }
        case ExprKind::Binary: {
            switch (e.op) {
                case Op::And:
                case Op::Or:
                case Op::Xor: return evaluate_logic(e, env, ctx);
                default: break;
            }
            Value l = evaluate(*e.children[0], env, ctx);
            Value r = evaluate(*e.children[1], env, ctx);
            switch (e.op) {
                case Op::In: return evaluate_in(l, r);
                case Op::StartsWith:
                case Op::EndsWith:
                case Op::Contains: return evaluate_string_predicate(e.op, l, r);
                default: return arithmetic(e.op, l, r);
            }
        }
        case ExprKind::Comparison: return evaluate_comparison(e, env, ctx);
        case ExprKind::CountStar:
        case ExprKind::Function: {
            if (e.aggregate_slot >= 0) {
                if (env.aggregates == nullptr) {
                    for (const Env* o = env.outer; o != nullptr; o = o->outer) {
                        if (o->aggregates != nullptr) {
                            return (*o->aggregates)[static_cast<size_t>(e.aggregate_slot)];
                        }
                    }
                    throw_error(status::kSyntaxError, "Invalid use of aggregating function " + e.name + "(...) in this context");
                }
                return (*env.aggregates)[static_cast<size_t>(e.aggregate_slot)];
            }
            if (e.function == nullptr || e.function->fn == nullptr) {
                throw_error(status::kSyntaxError, "Unknown function '" + e.name + "'");
            }
            std::vector<Value> args;
            args.reserve(e.children.size());
            for (const auto& c : e.children) {
                args.push_back(evaluate(*c, env, ctx));
            }
            return e.function->fn(args, ctx);
        }
        case ExprKind::Case: return evaluate_case(e, env, ctx);
    }
    return Value();
}

}  // namespace refhost::cypher
