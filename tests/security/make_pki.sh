#!/usr/bin/env bash
# Makes a throwaway PKI and token file for farm's TLS tests, with the
# openssl CLI, in DIR:
#   ca.pem/.key, other-ca.pem/.key        two CAs
#   server.pem/.key, server-rotated.*     for 127.0.0.1 and localhost, by ca
#   server-other-ca.*, server-expired.*   by other-ca, and expired
#   client-a.*   CN=team-a (client)       worker.*  CN=pool, OU=worker
#   admin.*      CN=ops, OU=admin         client-expired.*, client-other-ca.*
#   tokens       one "TOKEN TENANT ROLE" a line, and each token alone in
#                token-a, token-b, token-worker, token-admin
#   make_pki.sh DIR
set -euo pipefail

dir=${1:?usage: make_pki.sh DIR}
mkdir -p "$dir"
cd "$dir"
log=openssl.log
: >"$log"

cat >pki.cnf <<'CNF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
[ server_ext ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[ client_ext ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[ ca ]
default_ca = farm_ca
[ farm_ca ]
dir = .
database = ./$ENV::FARM_PKI_CA.db/index.txt
new_certs_dir = ./$ENV::FARM_PKI_CA.db
certificate = ./$ENV::FARM_PKI_CA.pem
private_key = ./$ENV::FARM_PKI_CA.key
serial = ./$ENV::FARM_PKI_CA.db/serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[ any ]
commonName = supplied
organizationalUnitName = optional
CNF

newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)

ca() {
  mkdir -p "$1.db"
  : >"$1.db/index.txt"
  openssl rand -hex 8 >"$1.db/serial"
  openssl req -x509 -config pki.cnf "${newkey[@]}" -keyout "$1.key" \
    -out "$1.pem" -days 3650 -extensions ca_ext -subj "/CN=farm test $1" \
    >>"$log" 2>&1
}

# leaf NAME SUBJECT CA EXTENSIONS [expired]
leaf() {
  local dates=(-days 30)
  if [[ ${5:-} == expired ]]; then
    dates=(-startdate 20200101000000Z -enddate 20200201000000Z)
  fi
  openssl req -new -config pki.cnf "${newkey[@]}" -keyout "$1.key" \
    -out "$1.csr" -subj "$2" >>"$log" 2>&1
  FARM_PKI_CA=$3 openssl ca -batch -config pki.cnf -extensions "$4" \
    "${dates[@]}" -preserveDN -notext -in "$1.csr" -out "$1.pem" >>"$log" 2>&1
  rm -f "$1.csr"
}

export FARM_PKI_CA=ca
ca ca
ca other-ca
leaf server "/CN=farm-scheduler" ca server_ext
leaf server-rotated "/CN=farm-scheduler" ca server_ext
leaf server-other-ca "/CN=farm-scheduler" other-ca server_ext
leaf server-expired "/CN=farm-scheduler" ca server_ext expired
leaf client-a "/CN=team-a" ca client_ext
leaf worker "/CN=pool/OU=worker" ca client_ext
leaf admin "/CN=ops/OU=admin" ca client_ext
leaf client-expired "/CN=team-a" ca client_ext expired
leaf client-other-ca "/CN=team-a" other-ca client_ext

: >tokens
for who in a:team-a:client b:team-b:client worker:pool:worker admin:ops:admin; do
  IFS=: read -r name tenant role <<<"$who"
  token=$(openssl rand -hex 24)
  printf '%s\n' "$token" >"token-$name"
  printf '%s %s %s\n' "$token" "$tenant" "$role" >>tokens
done
chmod 600 ./*.key token-* tokens
