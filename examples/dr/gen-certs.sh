#!/bin/bash
# Generates the certificates of two clusters as the CCDR documentation lays
# them out: each cluster has its own CA; each cluster's node certificate is
# signed by its own CA; each cluster trusts the *other* cluster's CA, so the
# two can authenticate each other mutually, and its own CA, because its
# servers talk to each other too (intra-cluster encryption: with fan-out, the
# members of a replica database follow the one that pulls across the WAN).
# Installed by the ccdr-plugin
# package as ccdr-gen-certs (man ccdr-gen-certs).
#
#   gen-certs.sh OUT_DIR [CLUSTER_NAME ...]      (default names: clusterA clusterB)
#
# Produces, per cluster C:
#   OUT_DIR/C-ca.key, OUT_DIR/C-ca.crt                 the CA (keep the key offline)
#   OUT_DIR/C/cluster/private.key                      C's node private key
#   OUT_DIR/C/cluster/public.crt                       C's node certificate (signed by C's CA)
#   OUT_DIR/C/cluster/trusted/<name>-ca.crt            every cluster's CA, C's own too
#                                                      (the bolt scope: every other one)
#   OUT_DIR/C/cluster/revoked/                         empty: CRLs go here
# Copy OUT_DIR/C/cluster to HOME/certificates/cluster of cluster C's servers.
#
# Node certificates name localhost and 127.0.0.1 (subjectAltName) so that
# dbms.ssl.policy.cluster.verify_hostname=true works on one machine; add your
# real host names with CCDR_CERT_SANS="DNS:server01.example.com,IP:10.0.0.1".
#
# CCDR_CERT_SCOPE=bolt writes OUT_DIR/C/bolt/ instead of OUT_DIR/C/cluster/:
# the server certificate of the bolt SSL policy (Bolt over TLS), to copy to
# HOME/certificates/bolt; clients trust OUT_DIR/C-ca.crt.
#
# A CA already in OUT_DIR is kept (its key signs the new node certificates);
# node certificates are made anew. Exit codes: 0 done (or --help); 1 openssl failed or
# is missing; 2 the command line or an environment variable is wrong.
set -euo pipefail
me="$(basename "$0")"
case "${1:-}" in
  -h | --help)
    echo "usage: $me OUT_DIR [CLUSTER_NAME ...]   (man ccdr-gen-certs)"
    exit 0
    ;;
  "")
    echo "usage: $me OUT_DIR [CLUSTER_NAME ...]   (man ccdr-gen-certs)" >&2
    exit 2
    ;;
  -*) echo "$me: unknown option '$1'" >&2; exit 2 ;;
esac
out="$1"
shift
for c in "$@"; do
  [[ "$c" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || { echo "$me: '$c' is not a cluster name (letters, digits, . _ -)" >&2; exit 2; }
done
command -v openssl >/dev/null || { echo "$me: openssl is missing (apt-get install openssl)" >&2; exit 1; }
[[ "${CCDR_CERT_DAYS:-825}" =~ ^[1-9][0-9]*$ ]] || { echo "$me: CCDR_CERT_DAYS must be a number of days, not '$CCDR_CERT_DAYS'" >&2; exit 2; }
names=("$@")
((${#names[@]})) || names=(clusterA clusterB)
days="${CCDR_CERT_DAYS:-825}"
sans="DNS:localhost,IP:127.0.0.1${CCDR_CERT_SANS:+,$CCDR_CERT_SANS}"
scope="${CCDR_CERT_SCOPE:-cluster}"
case "$scope" in cluster|bolt) ;; *) echo "$me: CCDR_CERT_SCOPE must be cluster or bolt, not '$scope'" >&2; exit 2;; esac

mkdir -p "$out"
for c in "${names[@]}"; do
  if [ ! -f "$out/$c-ca.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
      -subj "/O=ccdr/CN=$c CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$out/$c-ca.key" -out "$out/$c-ca.crt" 2>/dev/null
  fi
  dir="$out/$c/$scope"
  mkdir -p "$dir/trusted" "$dir/revoked"
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/O=ccdr/OU=$c/CN=localhost" \
    -keyout "$dir/private.key" -out "$dir/node.csr" 2>/dev/null
  ext=$(mktemp)
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' \
    "$sans" >"$ext"
  openssl x509 -req -in "$dir/node.csr" -CA "$out/$c-ca.crt" -CAkey "$out/$c-ca.key" \
    -CAcreateserial -days "$days" -sha256 -extfile "$ext" -out "$dir/public.crt" 2>/dev/null
  rm -f "$ext" "$dir/node.csr" "$out/$c-ca.srl"
  chmod 600 "$dir/private.key"
done
# Every cluster trusts every other cluster's CA (replication across
# clusters) and, in the cluster scope, its own (its servers among
# themselves; Bolt clients are not servers of the cluster).
for c in "${names[@]}"; do
  for o in "${names[@]}"; do
    [ "$c" = "$o" ] && [ "$scope" = bolt ] && continue
    cp "$out/$o-ca.crt" "$out/$c/$scope/trusted/$o-ca.crt"
  done
done
for c in "${names[@]}"; do
  echo "$c: $(openssl x509 -in "$out/$c/$scope/public.crt" -noout -subject -issuer | tr '\n' ' ')"
done
