// Where an S3-compatible object store is and how to sign for it. The same
// options reach AWS S3, GCS in interoperability mode, Ceph RGW, OpenStack
// Swift's s3api and MinIO: path-style URLs and SigV4 work on all of them.
#ifndef FARM_CACHE_S3_S3_OPTIONS_H_
#define FARM_CACHE_S3_S3_OPTIONS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace farm::cache::s3 {

struct S3Options {
  // "https://s3.eu-west-1.amazonaws.com" or "http://127.0.0.1:8080".
  std::string endpoint;
  std::string bucket;
  // Objects are addressed path-style, ENDPOINT/BUCKET/KEY, which every
  // S3-compatible store takes; virtual-hosted style puts the bucket in the
  // host name instead (scheme://BUCKET.HOST/KEY), as AWS prefers.
  bool virtual_hosted = false;
  // "HOST:PORT:TO_HOST:TO_PORT": connect there instead of to HOST:PORT
  // (libcurl's CURLOPT_CONNECT_TO), keeping HOST in the signed request.
  std::string connect_to;
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  // Put before every key, so that one bucket can hold several farms.
  std::string prefix;
  // Requests one batch (FindMissing's HEADs, GetSmall's GETs) keeps in
  // flight at once.
  int max_parallel = 32;
  absl::Duration connect_timeout = absl::Seconds(10);
  // A transfer that moves no byte for this long fails with kUnavailable.
  absl::Duration stall_timeout = absl::Seconds(60);
  // A CA bundle for a store with a private CA; empty: the system's.
  std::string ca_file;
  // Sent as x-amz-date so that a signature is reproducible; only the
  // signature's known-answer test sets it.
  std::string fixed_amz_date;
};

// Options from the farm-cache flags, with the credentials read from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY through `getenv` (the names
// every S3 tool uses, and what a Kubernetes secret maps to). Errors
// (kInvalidArgument) name the flag or variable that is missing or wrong.
absl::StatusOr<S3Options> S3OptionsFromFlags(
    const std::string& endpoint, const std::string& bucket,
    const std::string& region, const std::string& prefix,
    const std::function<const char*(const char*)>& getenv);

}  // namespace farm::cache::s3

#endif  // FARM_CACHE_S3_S3_OPTIONS_H_
