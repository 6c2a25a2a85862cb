// examples/refhost/metrics/prometheus_endpoint.hpp: a minimal HTTP/1.1
// server for Prometheus scrapes: GET /metrics answers the exposition text
// produced by a callback; anything else gets 404 (or 405). One request per
// connection, requests capped at 8 KiB, 5 s to send one; one Asio thread.
#pragma once

#include <ccdr/status.hpp>

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace refhost {

class PrometheusEndpoint {
public:
    using Body = std::function<std::string()>;
    static ccdr::Result<std::unique_ptr<PrometheusEndpoint>> start(const std::string& host, uint16_t port, Body body);
    ~PrometheusEndpoint();
    void stop();
    std::string address() const { return address_; }

private:
    struct Impl;
    PrometheusEndpoint() = default;
    std::unique_ptr<Impl> impl_;
    std::thread thread_;
    std::string address_;
};

}  // namespace refhost
