// examples/refhost/cypher/match.cpp: MATCH and OPTIONAL MATCH by nested
// loops: each pattern part starts from a bound node or a label scan (the
// rarest label), expands relationship by relationship, and checks labels,
// property maps, bound variables and relationship uniqueness (a relationship
// is used at most once per MATCH). WHERE filters complete matches.
#include "cypher/executor.hpp"

#include "cypher/query_error.hpp"
#include "cypher/values.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>

namespace refhost::cypher {

namespace {

constexpr size_t kNoSlot = static_cast<size_t>(-1);

Direction reversed(Direction d) {
    switch (d) {
        case Direction::Outgoing: return Direction::Incoming;
        case Direction::Incoming: return Direction::Outgoing;
        default: return Direction::Both;
    }
}

// A pattern part walked from one end: nodes[order[k]] then rels[rel_order[k]]
// in direction dirs[k], to nodes[order[k + 1]].
struct Walk {
    std::vector<size_t> order;
    std::vector<size_t> rel_order;
    std::vector<Direction> dirs;
};

struct PartPlan {
    const PatternPart* part = nullptr;
    std::vector<size_t> node_slots;
    std::vector<size_t> rel_slots;
    size_t path_slot = kNoSlot;
    Walk forward;
    Walk backward;
};

class Matcher {
public:
    using Emit = std::function<void(const List&)>;

    Matcher(const MatchClause& m, const std::vector<std::string>& names, size_t input_width, EvalContext& ctx,
            GraphReader& graph)
        : m_(m), names_(names), input_width_(input_width), ctx_(ctx), graph_(graph) {
        auto slot = [&](const std::string& n) {
            return static_cast<size_t>(std::find(names.begin(), names.end(), n) - names.begin());
        };
        for (const auto& part : m.patterns) {
            PartPlan p;
            p.part = &part;
            for (const auto& n : part.nodes) {
                p.node_slots.push_back(slot(n.var));
            }
            for (const auto& r : part.rels) {
                p.rel_slots.push_back(slot(r.var));
            }
            if (!part.path_var.empty()) {
                p.path_slot = slot(part.path_var);
            }
            size_t n = part.nodes.size();
            for (size_t k = 0; k < n; ++k) {
                p.forward.order.push_back(k);
                p.backward.order.push_back(n - 1 - k);
            }
            for (size_t k = 0; k + 1 < n; ++k) {
                p.forward.rel_order.push_back(k);
                p.forward.dirs.push_back(part.rels[k].direction);
                p.backward.rel_order.push_back(n - 2 - k);
                p.backward.dirs.push_back(reversed(part.rels[n - 2 - k].direction));
            }
            plans_.push_back(std::move(p));
        }
    }

    void run(List& row, const Emit& emit) {
        row_ = &row;
        emit_ = &emit;
        bound_.assign(names_.size(), false);
        for (size_t i = 0; i < input_width_; ++i) {
            bound_[i] = true;
        }
        node_props_.clear();
        rel_props_.clear();
        used_.clear();
        part_step(0);
    }

private:
    Env env() const { return Env{&names_, row_, nullptr, nullptr}; }

    // A pattern element's property map for this input row (evaluated once).
    const Map* properties(const ExprPtr& e, std::map<const Expr*, Map>& cache) {
        if (!e) {
            return nullptr;
        }
        auto it = cache.find(e.get());
        if (it == cache.end()) {
            Value v = evaluate(*e, env(), ctx_);
            if (!v.is<Map>()) {
                throw_error(status::kTypeError, "Type mismatch: a pattern's property map must be a MAP but was " +
                                              type_name(v));
            }
            it = cache.emplace(e.get(), v.as<Map>()).first;
        }
        return &it->second;
    }

    static bool properties_match(const Map& have, const Map* want) {
        if (want == nullptr) {
            return true;
        }
        for (const auto& [k, v] : *want) {
            auto it = have.find(k);
            if (it == have.end() || cypher_equals(it->second, v) != Tri::True) {
                return false;
            }
        }
        return true;
    }

    bool node_matches(const NodePattern& np, const Node& n) {
        for (const auto& l : np.labels) {
            if (std::find(n.labels.begin(), n.labels.end(), l) == n.labels.end()) {
                return false;
            }
        }
        return properties_match(n.properties, properties(np.properties, node_props_));
    }

    // The candidates for a pattern's first node: its rarest label's nodes
    // that pass the labels and property map (filtered while scanning, so only
    // matches are copied).
    std::vector<Node> scan(const NodePattern& np) {
        std::string label;
        if (np.labels.size() == 1) {
            label = np.labels[0];
        } else if (np.labels.size() > 1) {
            auto cached = scan_label_.find(&np);
            if (cached == scan_label_.end()) {
                int64_t best = -1;
                for (const auto& l : np.labels) {
                    int64_t c = graph_.count_nodes(l);
                    if (best < 0 || c < best) {
                        best = c;
                        label = l;
                    }
                }
                cached = scan_label_.emplace(&np, label).first;
            }
            label = cached->second;
        }
        std::vector<Node> out;
        auto done = graph_.scan_nodes(label, [&](const Node& n) {
            if (node_matches(np, n)) {
                out.push_back(n);
            }
            return true;
        });
        if (!done) {
            throw QueryError(done.error());
        }
        return out;
    }

    void part_step(size_t pi) {
        if (pi == plans_.size()) {
            if (m_.where && !evaluate_predicate(*m_.where, env(), ctx_)) {
                return;
            }
            (*emit_)(*row_);
            return;
        }
        const PartPlan& p = plans_[pi];
        bool backward = p.node_slots.size() > 1 && !bound_[p.node_slots.front()] && bound_[p.node_slots.back()];
        const Walk& walk = backward ? p.backward : p.forward;
        size_t first = p.node_slots[walk.order[0]];
        if (bound_[first]) {
            const Value& v = (*row_)[first];
            if (v.is<Node>()) {
                Node n = v.as<Node>();
                node_step(pi, walk, 0, n);
            }
            return;
        }
        for (const auto& n : scan(p.part->nodes[walk.order[0]])) {
            node_step(pi, walk, 0, n);
        }
    }

    void node_step(size_t pi, const Walk& walk, size_t k, const Node& n) {
        const PartPlan& p = plans_[pi];
        size_t idx = walk.order[k];
        size_t s = p.node_slots[idx];
        bool was_bound = bound_[s];
        if (was_bound) {
            const Value& v = (*row_)[s];
            if (!v.is<Node>() || v.as<Node>().id != n.id) {
                return;
            }
        }
        if (!node_matches(p.part->nodes[idx], n)) {
            return;
        }
        if (!was_bound) {
            (*row_)[s] = n;
            bound_[s] = true;
        }
        if (k + 1 == walk.order.size()) {
            if (p.path_slot != kNoSlot) {
                Path path;
                for (size_t ns : p.node_slots) {
                    path.nodes.push_back((*row_)[ns].as<Node>());
                }
                for (size_t rs : p.rel_slots) {
                    path.relationships.push_back((*row_)[rs].as<Relationship>());
                }
                (*row_)[p.path_slot] = std::move(path);
                bound_[p.path_slot] = true;
            }
            part_step(pi + 1);
            if (p.path_slot != kNoSlot) {
                (*row_)[p.path_slot] = Value();
                bound_[p.path_slot] = false;
            }
        } else {
            rel_step(pi, walk, k, n);
        }
        if (!was_bound) {
            (*row_)[s] = Value();
            bound_[s] = false;
        }
    }

    void rel_step(size_t pi, const Walk& walk, size_t k, const Node& from) {
        const PartPlan& p = plans_[pi];
        size_t ridx = walk.rel_order[k];
        const RelPattern& rp = p.part->rels[ridx];
        size_t s = p.rel_slots[ridx];
        Direction dir = walk.dirs[k];
        std::vector<Relationship> rels;
        auto done = graph_.expand(from.id, dir, rp.types.size() == 1 ? rp.types[0] : std::string(),
                                  [&](const Relationship& r) {
                                      rels.push_back(r);
                                      return true;
                                  });
        if (!done) {
            throw QueryError(done.error());
        }
        const Map* want = properties(rp.properties, rel_props_);
        bool was_bound = bound_[s];
        for (const auto& r : rels) {
            if (rp.types.size() > 1 && std::find(rp.types.begin(), rp.types.end(), r.type) == rp.types.end()) {
                continue;
            }
            if (std::find(used_.begin(), used_.end(), r.id) != used_.end()) {
                continue;
            }
            if (was_bound) {
                const Value& v = (*row_)[s];
                if (!v.is<Relationship>() || v.as<Relationship>().id != r.id) {
                    continue;
                }
            }
            if (!properties_match(r.properties, want)) {
                continue;
            }
            int64_t other_id = dir == Direction::Outgoing   ? r.end_id
                               : dir == Direction::Incoming ? r.start_id
                               : (r.start_id == from.id ? r.end_id : r.start_id);
            auto other = graph_.node(other_id);
            if (!other) {
                continue;
            }
            if (!was_bound) {
                (*row_)[s] = r;
                bound_[s] = true;
            }
            used_.push_back(r.id);
            node_step(pi, walk, k + 1, *other);
            used_.pop_back();
            if (!was_bound) {
                (*row_)[s] = Value();
                bound_[s] = false;
            }
        }
    }

    const MatchClause& m_;
    const std::vector<std::string>& names_;
    size_t input_width_;
    EvalContext& ctx_;
    GraphReader& graph_;
    std::vector<PartPlan> plans_;
    std::map<const NodePattern*, std::string> scan_label_;
    List* row_ = nullptr;
    const Emit* emit_ = nullptr;
    std::vector<bool> bound_;
    std::map<const Expr*, Map> node_props_;
    std::map<const Expr*, Map> rel_props_;
    std::vector<int64_t> used_;
};

}  // namespace

void Executor::match(const MatchClause& m) {
    GraphReader& g = graph();
    size_t input_width = table_.names.size();
    std::vector<std::string> names = table_.names;
    auto declare = [&](const std::string& n) {
        if (std::find(names.begin(), names.end(), n) == names.end()) {
            names.push_back(n);
        }
    };
    for_each_pattern_variable(m.patterns, declare);
    Matcher matcher(m, names, input_width, ctx_, g);
    std::vector<List> out;
    for (const auto& row : table_.rows) {
        List work = row;
        work.resize(names.size());
        bool any = false;
        matcher.run(work, [&](const List& r) {
            out.push_back(r);
            any = true;
        });
        if (!any && m.optional) {
            List empty = row;
            empty.resize(names.size());
            out.push_back(std::move(empty));
        }
    }
    table_.names = std::move(names);
    table_.rows = std::move(out);
}

}  // namespace refhost::cypher
