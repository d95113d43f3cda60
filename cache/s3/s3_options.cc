#include "cache/s3/s3_options.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace farm::cache::s3 {

absl::StatusOr<S3Options> S3OptionsFromFlags(
    const std::string& endpoint, const std::string& bucket,
    const std::string& region, const std::string& prefix,
    const std::function<const char*(const char*)>& getenv) {
  S3Options options;
  if (!absl::StartsWith(endpoint, "http://") &&
      !absl::StartsWith(endpoint, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--s3-endpoint: want http://HOST[:PORT] or https://HOST[:PORT], got '",
        endpoint, "'"));
  }
  options.endpoint = std::string(absl::StripSuffix(endpoint, "/"));
  if (bucket.empty() || absl::StrContains(bucket, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--s3-bucket: want a bucket name, got '", bucket, "'"));
  }
  options.bucket = bucket;
  if (region.empty()) {
    return absl::InvalidArgumentError("--s3-region must not be empty");
  }
  options.region = region;
  options.prefix = prefix;
  if (!prefix.empty() && !absl::EndsWith(prefix, "/")) {
    options.prefix += "/";
  }
  for (auto [name, slot] : {std::pair<const char*, std::string*>{
                                "AWS_ACCESS_KEY_ID", &options.access_key},
                            {"AWS_SECRET_ACCESS_KEY", &options.secret_key}}) {
    const char* value = getenv(name);
    if (value == nullptr || *value == '\0') {
      return absl::InvalidArgumentError(
          absl::StrCat("the object store's credentials come from ", name,
                       ", which is not set"));
    }
    *slot = value;
  }
  return options;
}

}  // namespace farm::cache::s3
