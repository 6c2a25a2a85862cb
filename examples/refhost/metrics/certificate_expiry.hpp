// examples/refhost/metrics/certificate_expiry.hpp: when the cluster
// certificate (dbms.ssl.policy.cluster.public_certificate) stops being
// valid, for the gauge dbms.ssl.cluster.certificate.not_after_seconds.
// Replication between clusters stops the moment a peer's certificate
// expires; the gauge lets monitoring warn days before (examples/monitoring).
#pragma once

#include <ccdr/status.hpp>

#include <cstdint>
#include <filesystem>

namespace refhost {

// The notAfter time, in Unix seconds, of the first certificate of a PEM
// file. Errors name the file and what was wrong with it.
ccdr::Result<int64_t> certificate_not_after(const std::filesystem::path& pem_file);

}  // namespace refhost
