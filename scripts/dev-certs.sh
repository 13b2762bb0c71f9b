#!/usr/bin/env bash
# Makes a local certificate authority and one certificate per node for a TLS
# cluster on this machine (development and tests only: the CA key sits next to the
# certificates it signs).
#
#   scripts/dev-certs.sh DIR [ID ...]        default IDs: n1 n2 n3 raftvec-cli
#
# Writes DIR/ca.pem and DIR/ca-key.pem (made once, reused on later runs), and for
# each ID DIR/ID.pem and DIR/ID-key.pem: subject CN=ID (a node's certificate names
# its node id, which peers check against the id it claims), valid for localhost,
# 127.0.0.1 and ::1, usable both as a server and as a client certificate.
# RAFTVEC_CERT_DAYS sets the validity (default 825 days); RAFTVEC_CERT_SAN adds
# subjectAltName entries (e.g. "DNS:raftvec-0.raftvec,DNS:raftvec-1.raftvec").
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [ID ...]" >&2
  exit 2
fi
command -v openssl >/dev/null || {
  echo "dev-certs: openssl is needed (apt-get install openssl)" >&2
  exit 1
}
dir=$1
shift
ids=("$@")
[ ${#ids[@]} -gt 0 ] || ids=(n1 n2 n3 raftvec-cli)
days=${RAFTVEC_CERT_DAYS:-825}
mkdir -p "$dir"
umask 077

if [ ! -f "$dir/ca.pem" ] || [ ! -f "$dir/ca-key.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" -days "$days" \
    -subj "/CN=raftvec development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

san="DNS:localhost,IP:127.0.0.1,IP:::1${RAFTVEC_CERT_SAN:+,$RAFTVEC_CERT_SAN}"
for id in "${ids[@]}"; do
  if ! [[ $id =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]]; then
    echo "dev-certs: $id is not a node id (letters, digits, . _ -)" >&2
    exit 2
  fi
  ext=$(mktemp)
  trap 'rm -f "$ext"' EXIT
  printf '%s\n' \
    "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=$san" >"$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/$id-key.pem" -out "$dir/$id.csr" -subj "/CN=$id" 2>/dev/null
  openssl x509 -req -in "$dir/$id.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" \
    -CAcreateserial -out "$dir/$id.pem" -days "$days" -extfile "$ext" 2>/dev/null
  rm -f "$dir/$id.csr" "$ext"
done
chmod 644 "$dir"/*.pem
chmod 600 "$dir"/*-key.pem
echo "dev-certs: CA $dir/ca.pem; certificates for ${ids[*]} in $dir"
