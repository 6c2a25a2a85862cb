#include "dbms/privileged_graph.hpp"

#include "common/status_codes.hpp"

namespace refhost {

namespace {

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        out += (out.empty() ? "" : ",") + n;
    }
    return out;
}

}  // namespace

Error PrivilegedGraph::denied(const std::string& what) const {
    return make_error(status::kForbidden, what + " on database '" + database_ + "' is not allowed for " + user_ + ".");
}

std::string PrivilegedGraph::first_key(const Map& now, const Map& next) {
    std::string key;
    for (const auto* m : {&next, &now}) {
        if (!m->empty() && (key.empty() || m->begin()->first < key)) {
            key = m->begin()->first;
        }
    }
    return key;
}

// --- reads: hidden without the read privilege ------------------------------------

std::optional<Node> PrivilegedGraph::node(int64_t id) {
    return privileges_.read ? inner_.node(id) : std::nullopt;
}

std::optional<Relationship> PrivilegedGraph::relationship(int64_t id) {
    return privileges_.read ? inner_.relationship(id) : std::nullopt;
}

Done PrivilegedGraph::scan_nodes(std::string_view label, const NodeVisitor& visit) {
    return privileges_.read ? inner_.scan_nodes(label, visit) : done();
}

Done PrivilegedGraph::scan_relationships(std::string_view type, const RelationshipVisitor& visit) {
    return privileges_.read ? inner_.scan_relationships(type, visit) : done();
}

Done PrivilegedGraph::expand(int64_t node, Direction dir, std::string_view type, const RelationshipVisitor& visit) {
    return privileges_.read ? inner_.expand(node, dir, type, visit) : done();
}

int64_t PrivilegedGraph::count_nodes(std::string_view label) {
    return privileges_.read ? inner_.count_nodes(label) : 0;
}

// --- writes: refused without the write privilege, before the store --------------

Outcome<Node> PrivilegedGraph::create_node(std::vector<std::string> labels, Map properties) {
    if (!privileges_.write) {
        return denied("Create node with labels '" + joined(labels) + "'");
    }
    return inner_.create_node(std::move(labels), std::move(properties));
}

Outcome<Relationship> PrivilegedGraph::create_relationship(int64_t start, int64_t end, std::string type,
                                                           Map properties) {
    if (!privileges_.write) {
        return denied("Create relationship with type '" + type + "'");
    }
    return inner_.create_relationship(start, end, std::move(type), std::move(properties));
}

Done PrivilegedGraph::set_node_property(int64_t id, const std::string& key, const Value& value) {
    if (!privileges_.write) {
        return denied("Set property for property '" + key + "'");
    }
    return inner_.set_node_property(id, key, value);
}

Done PrivilegedGraph::set_relationship_property(int64_t id, const std::string& key, const Value& value) {
    if (!privileges_.write) {
        return denied("Set property for property '" + key + "'");
    }
    return inner_.set_relationship_property(id, key, value);
}

Done PrivilegedGraph::replace_node_properties(int64_t id, Map properties) {
    if (!privileges_.write) {
        auto now = inner_.node(id);
        std::string key = first_key(now ? now->properties : Map{}, properties);
        if (key.empty()) {
            return done();  // nothing to set and nothing to remove: no write happens
        }
        return denied("Set property for property '" + key + "'");
    }
    return inner_.replace_node_properties(id, std::move(properties));
}

Done PrivilegedGraph::replace_relationship_properties(int64_t id, Map properties) {
    if (!privileges_.write) {
        auto now = inner_.relationship(id);
        std::string key = first_key(now ? now->properties : Map{}, properties);
        if (key.empty()) {
            return done();
        }
        return denied("Set property for property '" + key + "'");
    }
    return inner_.replace_relationship_properties(id, std::move(properties));
}

Done PrivilegedGraph::add_labels(int64_t id, const std::vector<std::string>& labels) {
    if (!privileges_.write) {
        return labels.empty() ? done() : Done(denied("Set label for label '" + labels.front() + "'"));
    }
    return inner_.add_labels(id, labels);
}

Done PrivilegedGraph::remove_labels(int64_t id, const std::vector<std::string>& labels) {
    if (!privileges_.write) {
        return labels.empty() ? done() : Done(denied("Remove label for label '" + labels.front() + "'"));
    }
    return inner_.remove_labels(id, labels);
}

Done PrivilegedGraph::delete_node(int64_t id, bool detach) {
    if (!privileges_.write) {
        auto n = inner_.node(id);
        return denied("Delete node with labels '" + (n ? joined(n->labels) : std::string()) + "'");
    }
    return inner_.delete_node(id, detach);
}

Done PrivilegedGraph::delete_relationship(int64_t id) {
    if (!privileges_.write) {
        auto r = inner_.relationship(id);
        return denied("Delete relationship with type '" + (r ? r->type : std::string()) + "'");
    }
    return inner_.delete_relationship(id);
}

}  // namespace refhost
