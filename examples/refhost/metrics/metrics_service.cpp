#include "metrics/metrics_service.hpp"

#include "common/clock.hpp"
#include "dbms/cluster.hpp"
#include "metrics/certificate_expiry.hpp"
#include "metrics/prometheus_endpoint.hpp"

#include <cstdio>
#include <optional>

namespace refhost {

MetricsService::MetricsService(Cluster& cluster) : cluster_(cluster) {}

ccdr::Result<std::unique_ptr<MetricsService>> MetricsService::start(Cluster& cluster) {
    std::unique_ptr<MetricsService> m(new MetricsService(cluster));
    const Config& c = cluster.config();
    m->enabled_ = c.flag("server.metrics.enabled");
    if (!m->enabled_) {
        return m;
    }
    m->prefix_ = *c.get("server.metrics.prefix");
    m->csv_ = c.flag("server.metrics.csv.enabled");
    m->interval_ = c.duration("server.metrics.csv.interval");
    m->dir_ = c.metrics_dir();
    m->rotation_size_ = *ccdr::settings::parse_size(*c.get("server.metrics.csv.rotation.size"));
    m->rotation_keep_ = c.integer("server.metrics.csv.rotation.keep_number");
    if (c.flag("dbms.ssl.policy.cluster.enabled")) {
        m->certificate_file_ = *c.get("dbms.ssl.policy.cluster.public_certificate");
    }
    if (c.flag("server.metrics.prometheus.enabled")) {
        auto address = *ccdr::settings::parse_address(*c.get("server.metrics.prometheus.endpoint"));
        MetricsService* self = m.get();
        auto ep = PrometheusEndpoint::start(address.host, address.port,
                                            [self] { return prometheus_text(self->collect()); });
        if (!ep) {
            return ep.status().with_context("server.metrics.prometheus.endpoint");
        }
        m->prometheus_ = std::move(ep.value());
        cluster.log().info("Prometheus metrics served at http://{}/metrics", m->prometheus_->address());
    }
    if (m->csv_) {
        std::error_code ec;
        std::filesystem::create_directories(m->dir_, ec);
        if (ec) {
            return ccdr::Status(CCDR_IO_ERROR, "cannot create the metrics directory " + m->dir_.string() + ": " +
                                                   ec.message());
        }
        m->csv_thread_ = std::thread([self = m.get()] { self->csv_loop(); });
    }
    return m;
}

MetricsService::~MetricsService() { stop(); }

void MetricsService::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (csv_thread_.joinable()) {
        csv_thread_.join();
    }
    if (prometheus_) {
        prometheus_->stop();
    }
}

std::string MetricsService::prometheus_address() const { return prometheus_ ? prometheus_->address() : ""; }

std::vector<MetricSample> MetricsService::collect() {
    std::vector<MetricSample> out;
    // The cluster certificate is read at every collection, so a renewed file
    // shows at once; a file that cannot be read leaves the gauge out.
    std::optional<int64_t> not_after;
    if (!certificate_file_.empty()) {
        if (auto t = certificate_not_after(certificate_file_)) {
            not_after = *t;
        }
    }
    for (const auto& s : cluster_.servers()) {
        cluster_.collect_metrics(s.index, [&](std::string_view name, ccdr_metric_type type, double value) {
            out.push_back(MetricSample{s.id, prefix_ + "." + std::string(name), type, value});
        });
        if (not_after) {
            out.push_back(MetricSample{s.id, prefix_ + ".dbms.ssl.cluster.certificate.not_after_seconds",
                                       CCDR_METRIC_GAUGE, static_cast<double>(*not_after)});
        }
    }
    return out;
}

void MetricsService::write_csv() {
    std::lock_guard lock(csv_mu_);
    int64_t t = now_ms() / 1000;
    bool several = cluster_.servers().size() > 1;
    for (const auto& sample : collect()) {
        std::filesystem::path dir = several ? dir_ / sample.server_id : dir_;
        std::filesystem::path file = dir / (sample.name + ".csv");
        std::error_code size_ec;
        if (known_files_.count(file) != 0 && std::filesystem::file_size(file, size_ec) >= rotation_size_ && !size_ec) {
            rotate(file);
            known_files_.erase(file);
        }
        if (known_files_.count(file) == 0) {
            std::error_code ec;
            std::filesystem::create_directories(dir, ec);
            bool fresh = !std::filesystem::exists(file, ec) || std::filesystem::file_size(file, ec) == 0;
            if (fresh) {
                std::FILE* f = std::fopen(file.c_str(), "a");
                if (f == nullptr) {
                    continue;
                }
                std::fputs(sample.type == CCDR_METRIC_COUNTER ? "t,count\n" : "t,value\n", f);
                std::fclose(f);
            }
            known_files_.insert(file);
        }
        std::FILE* f = std::fopen(file.c_str(), "a");
        if (f == nullptr) {
            continue;
        }
        std::string row = std::to_string(t) + "," + csv_value(sample.value) + "\n";
        std::fputs(row.c_str(), f);
        std::fclose(f);
    }
}

void MetricsService::rotate(const std::filesystem::path& file) {
    std::error_code ec;
    auto numbered = [&](int64_t n) { return std::filesystem::path(file.string() + "." + std::to_string(n)); };
    std::filesystem::remove(numbered(rotation_keep_), ec);
    for (int64_t n = rotation_keep_ - 1; n >= 1; --n) {
        if (std::filesystem::exists(numbered(n), ec)) {
            std::filesystem::rename(numbered(n), numbered(n + 1), ec);
        }
    }
    std::filesystem::rename(file, numbered(1), ec);
}

void MetricsService::csv_loop() {
    for (;;) {
        write_csv();
        std::unique_lock lock(mu_);
        if (cv_.wait_for(lock, interval_, [&] { return stopping_; })) {
            break;
        }
    }
    write_csv();
}

}  // namespace refhost
