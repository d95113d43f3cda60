#include "cache/s3/s3_bucket.h"

#include "absl/strings/str_cat.h"
#include "common/digest.h"
#include "common/status_macros.h"

namespace farm::cache::s3 {
namespace {

// The text of <Tag>…</Tag> in an S3 error document, "" if absent.
std::string XmlField(absl::string_view xml, absl::string_view tag) {
  std::string open = absl::StrCat("<", tag, ">");
  size_t start = xml.find(open);
  if (start == absl::string_view::npos) return "";
  start += open.size();
  size_t end = xml.find(absl::StrCat("</", tag, ">"), start);
  if (end == absl::string_view::npos) return "";
  return std::string(xml.substr(start, end - start));
}

std::string Sha256Hex(absl::string_view data) { return Digest::Of(data).hex(); }

}  // namespace

S3Request S3Bucket::RequestFor(std::string method,
                               const std::string& key) const {
  S3Request request;
  request.method = std::move(method);
  request.key = options().prefix + key;
  return request;
}

absl::Status S3Bucket::StatusOf(const S3Request& request, int status,
                                absl::string_view body) const {
  if (status >= 200 && status < 300) return absl::OkStatus();
  std::string code = XmlField(body, "Code");
  std::string where = absl::StrCat(request.method, " s3://", options().bucket,
                                   "/", request.key);
  std::string what =
      absl::StrCat(where, ": HTTP ", status, code.empty() ? "" : " ", code);
  std::string message = XmlField(body, "Message");
  if (!message.empty()) absl::StrAppend(&what, " (", message, ")");
  if (status == 404) {
    if (code == "NoSuchBucket") {
      return absl::NotFoundError(absl::StrCat("the bucket '", options().bucket,
                                              "' does not exist at ",
                                              options().endpoint));
    }
    return absl::NotFoundError(what);
  }
  if (status == 403) return absl::PermissionDeniedError(what);
  if (status == 400 && (code == "BadDigest" || code == "InvalidDigest" ||
                        code == "XAmzContentSHA256Mismatch")) {
    return absl::InvalidArgumentError(what);
  }
  if (status >= 500 || status == 429) return absl::UnavailableError(what);
  return absl::UnknownError(what);
}

absl::Status S3Bucket::Check() {
  S3Request request = RequestFor("GET", "farm-bucket-check");
  ASSIGN_OR_RETURN(S3Response answer, transport_.Send(request));
  if (answer.status == 404 && XmlField(answer.body, "Code") != "NoSuchBucket") {
    return absl::OkStatus();
  }
  return StatusOf(request, answer.status, answer.body);
}

absl::StatusOr<uint64_t> S3Bucket::Size(const std::string& key) {
  std::vector<absl::StatusOr<uint64_t>> sizes =
      Sizes(absl::MakeConstSpan(&key, 1));
  return std::move(sizes[0]);
}

std::vector<absl::StatusOr<uint64_t>> S3Bucket::Sizes(
    absl::Span<const std::string> keys) {
  std::vector<S3Request> requests;
  requests.reserve(keys.size());
  for (const std::string& key : keys) {
    requests.push_back(RequestFor("HEAD", key));
  }
  std::vector<absl::StatusOr<S3Response>> answers =
      transport_.SendAll(requests);
  std::vector<absl::StatusOr<uint64_t>> sizes;
  sizes.reserve(keys.size());
  for (size_t i = 0; i < answers.size(); ++i) {
    if (!answers[i].ok()) {
      sizes.push_back(answers[i].status());
      continue;
    }
    absl::Status status =
        StatusOf(requests[i], answers[i]->status, answers[i]->body);
    if (!status.ok()) {
      sizes.push_back(status);
    } else {
      sizes.push_back(answers[i]->content_length);
    }
  }
  return sizes;
}

absl::StatusOr<std::unique_ptr<ByteReader>> S3Bucket::Read(
    const std::string& key) {
  S3Request request = RequestFor("GET", key);
  ASSIGN_OR_RETURN(S3Stream stream, transport_.Open(request));
  RETURN_IF_ERROR(StatusOf(request, stream.status, stream.error_body));
  return std::move(stream.body);
}

std::vector<absl::StatusOr<std::string>> S3Bucket::ReadSmall(
    absl::Span<const std::string> keys, size_t max_bytes) {
  std::vector<S3Request> requests;
  requests.reserve(keys.size());
  for (const std::string& key : keys) {
    requests.push_back(RequestFor("GET", key));
    // Room for an error document even when max_bytes is tiny.
    requests.back().max_body_bytes = std::max<size_t>(max_bytes, 64 << 10);
  }
  std::vector<absl::StatusOr<S3Response>> answers =
      transport_.SendAll(requests);
  std::vector<absl::StatusOr<std::string>> bodies;
  bodies.reserve(keys.size());
  for (size_t i = 0; i < answers.size(); ++i) {
    if (!answers[i].ok()) {
      bodies.push_back(answers[i].status());
      continue;
    }
    absl::Status status =
        StatusOf(requests[i], answers[i]->status, answers[i]->body);
    if (!status.ok()) {
      bodies.push_back(status);
    } else if (answers[i]->body.size() > max_bytes) {
      bodies.push_back(absl::ResourceExhaustedError(absl::StrCat(
          requests[i].key, " is longer than ", max_bytes, " bytes")));
    } else {
      bodies.push_back(std::move(answers[i]->body));
    }
  }
  return bodies;
}

absl::Status S3Bucket::Write(const std::string& key, absl::string_view data) {
  S3Request request = RequestFor("PUT", key);
  request.body = data;
  request.body_size = data.size();
  request.content_sha256 = Sha256Hex(data);
  ASSIGN_OR_RETURN(S3Response answer, transport_.Send(request));
  return StatusOf(request, answer.status, answer.body);
}

absl::Status S3Bucket::WriteFile(const std::string& key, int fd, uint64_t size,
                                 const std::string& sha256_hex) {
  S3Request request = RequestFor("PUT", key);
  request.body_fd = fd;
  request.body_size = size;
  request.content_sha256 = sha256_hex;
  ASSIGN_OR_RETURN(S3Response answer, transport_.Send(request));
  return StatusOf(request, answer.status, answer.body);
}

absl::Status S3Bucket::Remove(const std::string& key) {
  S3Request request = RequestFor("DELETE", key);
  ASSIGN_OR_RETURN(S3Response answer, transport_.Send(request));
  if (answer.status == 404 && XmlField(answer.body, "Code") == "NoSuchKey") {
    return absl::OkStatus();
  }
  return StatusOf(request, answer.status, answer.body);
}

}  // namespace farm::cache::s3
