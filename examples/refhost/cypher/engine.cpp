// examples/refhost/cypher/engine.cpp: Engine::run: parse (cached) and check,
// refuse what must not run (missing parameters, writes in READ mode, graph
// clauses on `system`, unknown procedures) before anything executes, then
// run administration or the clause pipeline and fill the summary.
#include "cypher/engine.hpp"

#include "cypher/admin.hpp"
#include "cypher/executor.hpp"
#include "cypher/parse_cache.hpp"
#include "cypher/procedures.hpp"
#include "cypher/query_error.hpp"
#include "cypher/security_commands.hpp"
#include "security/privileges.hpp"

#include <exception>

namespace refhost::cypher {

namespace {

void require_parameters(const std::vector<std::string>& names, const Map& params) {
    std::string missing;
    for (const auto& n : names) {
        if (params.find(n) == params.end()) {
            missing += (missing.empty() ? "" : ", ") + n;
        }
    }
    if (!missing.empty()) {
        throw_error(status::kParameterMissing, "Expected parameter(s): " + missing);
    }
}

Error credentials_expired() {
    return make_error(status::kCredentialsExpired, security::credentials_expired_message());
}

GraphWriter::Stats difference(const GraphWriter::Stats& a, const GraphWriter::Stats& b) {
    GraphWriter::Stats d;
    d.nodes_created = b.nodes_created - a.nodes_created;
    d.nodes_deleted = b.nodes_deleted - a.nodes_deleted;
    d.relationships_created = b.relationships_created - a.relationships_created;
    d.relationships_deleted = b.relationships_deleted - a.relationships_deleted;
    d.properties_set = b.properties_set - a.properties_set;
    d.labels_added = b.labels_added - a.labels_added;
    d.labels_removed = b.labels_removed - a.labels_removed;
    return d;
}

bool any(const GraphWriter::Stats& s) {
    return s.nodes_created || s.nodes_deleted || s.relationships_created || s.relationships_deleted ||
           s.properties_set || s.labels_added || s.labels_removed;
}

class EngineImpl final : public Engine {
public:
    Outcome<QueryResult> run(std::string_view query, const Map& parameters, QueryContext& ctx) override {
        try {
            auto st = cache_.get(query);
            const auto* security = std::get_if<SecurityCommand>(&st->body);
            if (ctx.user.credentials_expired &&
                (security == nullptr || security->kind != SecurityKind::AlterCurrentUser)) {
                return credentials_expired();
            }
            if (security != nullptr) {
                require_parameters(security->parameters, parameters);
                return run_security(*security, parameters, ctx);
            }
            if (const auto* admin = std::get_if<AdminCommand>(&st->body)) {
                require_parameters(admin->parameters, parameters);
                return run_admin(*admin, parameters, ctx);
            }
            return run_query(std::get<Query>(st->body), query, parameters, ctx);
        } catch (const QueryError& e) {
            return e.error();
        } catch (const std::bad_alloc&) {
            return make_error(status::kUnknownError, "out of memory while running the query");
        } catch (const std::exception& e) {
            return make_error(status::kUnknownError, std::string("internal error in the Cypher engine: ") + e.what());
        }
    }

    bool updates_graph(std::string_view query) override {
        try {
            auto st = cache_.get(query);
            const auto* q = std::get_if<Query>(&st->body);
            return q != nullptr && q->updating;
        } catch (...) {  // QueryError (outside the subset) and anything else: run() reports why
            return false;
        }
    }

private:
    static QueryResult run_query(const Query& q, std::string_view text, const Map& params, QueryContext& ctx) {
        require_parameters(q.parameters, params);
        bool read_mode = ctx.mode == AccessMode::Read || (ctx.tx != nullptr && ctx.tx->mode() == AccessMode::Read);
        // A user without the write privilege is refused by the graph, with
        // Neo4j's Forbidden for the operation, before any read-only check.
        bool may_write = security::privileges_of(ctx.user.roles).write;
        if (q.updating && read_mode && may_write) {
            throw_error(status::kAccessMode,
                        "Writing in read access mode not allowed. Attempted write to " + ctx.database);
        }
        if (q.needs_graph && ctx.tx == nullptr) {
            throw_error(status::kNotSystemDatabase,
                        "Not a recognised system command or procedure. This Cypher command can only be executed in "
                        "a user database: " + std::string(text));
        }
        ResolvedProcedures procedures = resolve_procedures(q, ctx, text);
        bool writes_procedure = false;
        for (const auto& [call, p] : procedures) {
            writes_procedure = writes_procedure || p.mode == "WRITE";
        }
        if (writes_procedure && read_mode) {
            throw_error(status::kAccessMode,
                        "Writing in read access mode not allowed. Attempted write to " + ctx.database);
        }
        GraphWriter::Stats before;
        if (ctx.tx != nullptr) {
            before = ctx.tx->graph().stats();
        }
        Executor ex(q, ctx, params, procedures);
        Table table = ex.run();
        QueryResult out;
        // A query that ends with an update returns no columns and no rows.
        const auto& last = q.clauses.back().body;
        bool has_result = std::holds_alternative<ReturnClause>(last) || std::holds_alternative<WithClause>(last) ||
                          std::holds_alternative<CallClause>(last);
        if (has_result) {
            out.columns = std::move(table.names);
            out.rows = std::move(table.rows);
        }
        if (ctx.tx != nullptr) {
            out.stats = difference(before, ctx.tx->graph().stats());
        }
        out.contains_updates = any(out.stats);
        bool returns = std::holds_alternative<ReturnClause>(q.clauses.back().body);
        if (q.updating || writes_procedure) {
            out.type = q.reads_graph || returns ? "rw" : "w";
        } else {
            out.type = "r";
        }
        return out;
    }

    ParseCache cache_;
};

}  // namespace

std::unique_ptr<Engine> make_engine() { return std::make_unique<EngineImpl>(); }

}  // namespace refhost::cypher
