// BuildSession's side of the build journal: writing a build down for a
// scheduler that may take over, and taking one over.
#include "absl/strings/str_cat.h"
#include "cache/blob_store.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "scheduler/build_session.h"

namespace farm::scheduler {

void BuildSession::Resume(proto::BuildRecord record) {
  // Every event the schedulers before this one sent is numbered below.
  sequence_base_ = (record.resumes() + 1) << 32;
  started_ = absl::FromUnixNanos(record.started_unix_nanos());
  {
    absl::MutexLock lock(&mu_);
    summary_.set_started_unix_nanos(record.started_unix_nanos());
  }
  resumed_ = std::move(record);
}

absl::StatusOr<proto::BuildRequest> BuildSession::TakeOver() {
  proto::BuildRecord& record = *resumed_;
  if (record.had_secrets()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the farm's scheduler changed during build ", id_,
        ", which uses --secret; secrets are never stored, so the build "
        "cannot resume: run it again"));
  }
  ASSIGN_OR_RETURN(Digest digest, Digest::Parse(record.manifest_digest()));
  absl::StatusOr<std::string> bytes = cache::GetBlob(*deps_.blobs, digest);
  if (!bytes.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the farm's scheduler changed during build ", id_,
                     " and its context is no longer in the cache (",
                     bytes.status().message(), "): run it again"));
  }
  proto::ContextManifest manifest;
  if (!manifest.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("the context manifest of build ",
                                            id_, " (", digest.ToString(),
                                            ") does not parse"));
  }
  resumed_manifest_ = std::move(manifest);
  record.set_resumes(record.resumes() + 1);
  if (deps_.journal != nullptr) RETURN_IF_ERROR(deps_.journal->Record(record));
  FARM_LOG(INFO) << "build " << id_ << ": resumed (takeover "
                 << record.resumes() << ")";
  return record.request();
}

void BuildSession::Record(const PlatformBuilds& builds) {
  // A resumed build was recorded again when it was taken over.
  if (deps_.journal == nullptr || resumed_.has_value()) return;
  proto::BuildRecord record;
  record.set_build_id(id_);
  record.set_tenant(deps_.tenant);
  *record.mutable_request() = recorded_request_;
  record.set_had_secrets(had_secrets_);
  record.set_started_unix_nanos(absl::ToUnixNanos(started_));
  const std::string manifest =
      builds.at(0).coordinator->spec().context.SerializeAsString();
  absl::Status recorded = cache::PutBlob(*deps_.blobs, manifest);
  if (recorded.ok()) {
    record.set_manifest_digest(Digest::Of(manifest).ToString());
    recorded = deps_.journal->Record(record);
  }
  if (recorded.ok()) return;
  FARM_LOG(WARNING) << "build " << id_ << ": " << recorded;
  proto::BuildServerMessage warning;
  warning.mutable_event()->set_kind(proto::BuildEvent::WARNING);
  warning.mutable_event()->set_text(
      absl::StrCat("this build cannot resume if the farm's scheduler "
                   "changes: ",
                   recorded.message()));
  Send(std::move(warning));
}

}  // namespace farm::scheduler
