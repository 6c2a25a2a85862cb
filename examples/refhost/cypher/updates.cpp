// examples/refhost/cypher/updates.cpp: CREATE, SET, REMOVE, DELETE and
// DETACH DELETE through the GraphWriter. Rows hold copies of entities, so
// after an update every entity in the table is re-read (the next clause sees
// the new labels and properties).
#include "cypher/executor.hpp"

#include "cypher/query_error.hpp"
#include "cypher/values.hpp"

#include <functional>
#include <map>
#include <set>
#include <optional>

namespace refhost::cypher {

namespace {

template <typename T>
T take(Outcome<T> o) {
    if (!o) {
        throw QueryError(o.error());
    }
    return std::move(o.value());
}

void ensure(const Done& d) {
    if (!d) {
        throw QueryError(d.error());
    }
}

// A property map to store: nulls dropped (they mean "no property"), every
// value storable.
Map storable(const Value& v, const char* what) {
    if (v.is_null()) {
        return Map{};
    }
    const Map* m = properties_of(v);
    if (m == nullptr) {
        throw_error(status::kTypeError, std::string("Type mismatch: ") + what + " expects a MAP but was " + type_name(v) +
                                      " " + describe_value(v));
    }
    Map out;
    for (const auto& [k, x] : *m) {
        if (x.is_null()) {
            continue;
        }
        if (auto problem = property_value_problem(x)) {
            throw_error(status::kTypeError, *problem);
        }
        out[k] = x;
    }
    return out;
}

void check_storable(const Value& v) {
    if (auto problem = property_value_problem(v)) {
        throw_error(status::kTypeError, *problem);
    }
}

}  // namespace

void Executor::create(const CreateClause& c) {
    GraphWriter& g = graph();
    // Node variables bound before this clause are used, not created.
    std::set<std::string> before(table_.names.begin(), table_.names.end());
    for_each_pattern_variable(c.patterns, [&](const std::string& var) { add_column(var); });
    for (auto& row : table_.rows) {
        std::set<std::string> made;
        for (const auto& part : c.patterns) {
            for (const auto& n : part.nodes) {
                if (before.count(n.var) != 0 || made.count(n.var) != 0) {
                    continue;
                }
                Map props = n.properties ? storable(evaluate(*n.properties, env_of(row), ctx_), "CREATE")
                                         : Map{};
                row[slot(n.var)] = take(g.create_node(n.labels, std::move(props)));
                made.insert(n.var);
            }
            for (size_t i = 0; i < part.rels.size(); ++i) {
                const auto& r = part.rels[i];
                const Value& a = row[slot(part.nodes[i].var)];
                const Value& b = row[slot(part.nodes[i + 1].var)];
                if (!a.is<Node>() || !b.is<Node>()) {
                    const std::string& missing = a.is<Node>() ? part.nodes[i + 1].var : part.nodes[i].var;
                    throw_error(status::kEntityNotFound, "Failed to create relationship `" +
                                                            (r.named ? r.var : std::string("(anonymous)")) +
                                                            "`, node `" + missing + "` is missing (null)");
                }
                int64_t start = a.as<Node>().id;
                int64_t end = b.as<Node>().id;
                if (r.direction == Direction::Incoming) {
                    std::swap(start, end);
                }
                Map props = r.properties ? storable(evaluate(*r.properties, env_of(row), ctx_), "CREATE")
                                         : Map{};
                row[slot(r.var)] = take(g.create_relationship(start, end, r.types[0], std::move(props)));
            }
            if (!part.path_var.empty()) {
                Path path;
                for (const auto& n : part.nodes) {
                    path.nodes.push_back(row[slot(n.var)].as<Node>());
                }
                for (const auto& r : part.rels) {
                    path.relationships.push_back(row[slot(r.var)].as<Relationship>());
                }
                row[slot(part.path_var)] = std::move(path);
            }
        }
    }
    refresh_entities();
}

void Executor::set(const SetClause& c) {
    GraphWriter& g = graph();
    for (auto& row : table_.rows) {
        refresh_row(row);  // an earlier row may have changed this row's entities
        for (const auto& item : c.items) {
            Value target = evaluate(*item.target, env_of(row), ctx_);
            if (target.is_null()) {
                continue;  // SET on a missing (OPTIONAL MATCH) entity does nothing
            }
            const Node* node = target.get_if<Node>();
            const Relationship* rel = target.get_if<Relationship>();
            if (node == nullptr && rel == nullptr) {
                throw_error(status::kTypeError, "Type mismatch: SET expects a NODE or RELATIONSHIP but was " +
                                              type_name(target) + " " + describe_value(target));
            }
            switch (item.kind) {
                case SetKind::Property: {
                    Value v = evaluate(*item.value, env_of(row), ctx_);
                    check_storable(v);
                    ensure(node ? g.set_node_property(node->id, item.key, v)
                                : g.set_relationship_property(rel->id, item.key, v));
                    break;
                }
                case SetKind::Replace: {
                    Map props = storable(evaluate(*item.value, env_of(row), ctx_), "SET =");
                    ensure(node ? g.replace_node_properties(node->id, std::move(props))
                                : g.replace_relationship_properties(rel->id, std::move(props)));
                    break;
                }
                case SetKind::Merge: {
                    Value v = evaluate(*item.value, env_of(row), ctx_);
                    const Map* m = properties_of(v);
                    if (m == nullptr) {
                        if (v.is_null()) {
                            break;
                        }
                        throw_error(status::kTypeError, "Type mismatch: SET += expects a MAP but was " + type_name(v));
                    }
                    for (const auto& [k, x] : *m) {
                        check_storable(x);
                        ensure(node ? g.set_node_property(node->id, k, x)
                                    : g.set_relationship_property(rel->id, k, x));
                    }
                    break;
                }
                case SetKind::Labels:
                    if (node == nullptr) {
                        throw_error(status::kTypeError, "Type mismatch: SET of labels expects a NODE but was RELATIONSHIP");
                    }
                    ensure(g.add_labels(node->id, item.labels));
                    break;
            }
            // Later items, and later rows, see the change.
            refresh_row(row);
        }
    }
    refresh_entities();
}

void Executor::remove(const RemoveClause& c) {
    GraphWriter& g = graph();
    for (auto& row : table_.rows) {
        for (const auto& item : c.items) {
            Value target = evaluate(*item.target, env_of(row), ctx_);
            if (target.is_null()) {
                continue;
            }
            if (item.is_label) {
                if (!target.is<Node>()) {
                    throw_error(status::kTypeError, "Type mismatch: REMOVE of labels expects a NODE but was " +
                                                  type_name(target));
                }
                ensure(g.remove_labels(target.as<Node>().id, item.labels));
            } else if (auto* n = target.get_if<Node>()) {
                ensure(g.set_node_property(n->id, item.key, Value()));
            } else if (auto* r = target.get_if<Relationship>()) {
                ensure(g.set_relationship_property(r->id, item.key, Value()));
            } else {
                throw_error(status::kTypeError, "Type mismatch: REMOVE expects a NODE or RELATIONSHIP but was " +
                                              type_name(target));
            }
        }
    }
    refresh_entities();
}

void Executor::remove_and_delete(const DeleteClause& c) {
    GraphWriter& g = graph();
    // Relationships first, then nodes: `DELETE a, r, b` works in any order
    // of the list, as it does in Neo4j (which checks at commit).
    std::vector<int64_t> nodes;
    std::vector<int64_t> rels;
    for (auto& row : table_.rows) {
        for (const auto& t : c.targets) {
            Value v = evaluate(*t, env_of(row), ctx_);
            if (v.is_null()) {
                continue;
            }
            if (auto* n = v.get_if<Node>()) {
                nodes.push_back(n->id);
            } else if (auto* r = v.get_if<Relationship>()) {
                rels.push_back(r->id);
            } else if (auto* p = v.get_if<Path>()) {
                for (const auto& pr : p->relationships) {
                    rels.push_back(pr.id);
                }
                for (const auto& pn : p->nodes) {
                    nodes.push_back(pn.id);
                }
            } else {
                throw_error(status::kTypeError, "Type mismatch: DELETE expects a NODE, RELATIONSHIP or PATH but was " +
                                              type_name(v) + " " + describe_value(v));
            }
        }
    }
    for (int64_t id : rels) {
        if (deleted_relationships_.insert(id).second) {
            ensure(g.delete_relationship(id));
        }
    }
    for (int64_t id : nodes) {
        if (deleted_nodes_.insert(id).second) {
            ensure(g.delete_node(id, c.detach));
        }
    }
}

namespace {

// Re-reads the entities in `v` (nested in lists, maps and paths too). With a
// cache, an entity is read once per call; a deleted one keeps its last copy.
struct Refresher {
    GraphReader& graph;
    std::map<int64_t, std::optional<Node>> nodes;
    std::map<int64_t, std::optional<Relationship>> rels;
    bool use_cache = true;

    void operator()(Value& v) {
        if (auto* n = v.get_if<Node>()) {
            auto it = nodes.find(n->id);
            if (it == nodes.end() || !use_cache) {
                it = nodes.insert_or_assign(n->id, graph.node(n->id)).first;
            }
            if (it->second) {
                v = *it->second;
            }
        } else if (auto* r = v.get_if<Relationship>()) {
            auto it = rels.find(r->id);
            if (it == rels.end() || !use_cache) {
                it = rels.insert_or_assign(r->id, graph.relationship(r->id)).first;
            }
            if (it->second) {
                v = *it->second;
            }
        } else if (auto* l = std::get_if<List>(&v.storage())) {
            for (auto& x : *l) {
                (*this)(x);
            }
        } else if (auto* m = std::get_if<Map>(&v.storage())) {
            for (auto& [k, x] : *m) {
                (*this)(x);
            }
        } else if (auto* p = std::get_if<Path>(&v.storage())) {
            for (auto& n : p->nodes) {
                Value x = n;
                (*this)(x);
                n = x.as<Node>();
            }
            for (auto& r : p->relationships) {
                Value x = r;
                (*this)(x);
                r = x.as<Relationship>();
            }
        }
    }
};

}  // namespace

void Executor::refresh_row(List& row) {
    Refresher refresh{graph(), {}, {}, false};
    for (auto& v : row) {
        refresh(v);
    }
}

void Executor::refresh_entities() {
    Refresher refresh{graph(), {}, {}, true};
    for (auto& row : table_.rows) {
        for (auto& v : row) {
            refresh(v);
        }
    }
}

}  // namespace refhost::cypher
