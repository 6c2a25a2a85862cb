// examples/refhost/metrics/metric_sample.hpp: metrics as the reporters see
// them, and their two text forms: Neo4j's CSV files and Prometheus.
#pragma once

#include <ccdr/abi.h>

#include <string>
#include <vector>

namespace refhost {

struct MetricSample {
    std::string server_id;
    std::string name;  // full dotted name, prefix included: "neo4j.database.foo.transaction.committed"
    ccdr_metric_type type = CCDR_METRIC_GAUGE;
    double value = 0;
};

// The Prometheus name of a dotted metric name: every character outside
// [a-zA-Z0-9_:] becomes '_', counters end in _total.
std::string prometheus_name(const std::string& dotted, ccdr_metric_type type);
// The exposition text (format 0.0.4) of the samples, grouped by family, each
// sample labelled server="<id>".
std::string prometheus_text(const std::vector<MetricSample>& samples);
// A value as the CSV files and Prometheus show it: integers without a
// fraction in CSV ("42"), with ".0" in Prometheus ("42.0").
std::string csv_value(double v);
std::string prometheus_value(double v);

}  // namespace refhost
