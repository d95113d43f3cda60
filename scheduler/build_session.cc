#include "scheduler/build_session.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_fields.h"
#include "common/status_macros.h"
#include "scheduler/context_upload.h"

namespace farm::scheduler {

BuildSession::BuildSession(std::string build_id, SessionDeps deps)
    : id_(std::move(build_id)), deps_(std::move(deps)) {
  started_ = deps_.clock->Now();
  absl::MutexLock lock(&mu_);
  summary_.set_build_id(id_);
  summary_.set_tenant(deps_.tenant);
  summary_.set_state("running");
  summary_.set_started_unix_nanos(absl::ToUnixNanos(started_));
}

void BuildSession::FromClient(proto::BuildClientMessage message,
                              int attachment) {
  if (attachment != attachment_.load()) return;  // a replaced stream
  inputs_.Push(std::move(message));
}
void BuildSession::ClientDetached(int attachment) {
  if (attachment != attachment_.load()) return;  // another is attached
  inputs_.Push(DetachedInput{});
}
int BuildSession::ClientAttached() {
  const int attachment = attachment_.fetch_add(1) + 1;
  inputs_.Push(AttachedInput{});
  return attachment;
}

void BuildSession::OnJobDone(int stage, const absl::Status& status,
                             const proto::StageOutput& output) {
  inputs_.Push(JobDoneInput{stage, status, output});
}

void BuildSession::OnJobEvent(int stage, const proto::BuildEvent& event) {
  inputs_.Push(JobEventInput{stage, event});
}

std::optional<BuildSession::Input> BuildSession::NextInput() {
  while (true) {
    absl::Duration wait = absl::InfiniteDuration();
    if (detached_) {
      wait = deps_.client_grace - (deps_.clock->Now() - detached_since_);
      if (wait <= absl::ZeroDuration()) return std::nullopt;
    }
    std::optional<Input> input = inputs_.Pop(std::min(wait, absl::Seconds(1)));
    if (!input.has_value()) {
      if (inputs_.closed()) return std::nullopt;
      continue;
    }
    if (std::holds_alternative<DetachedInput>(*input)) {
      detached_ = true;
      detached_since_ = deps_.clock->Now();
      continue;
    }
    if (std::holds_alternative<AttachedInput>(*input)) {
      detached_ = false;
      ++attach_count_;
      continue;
    }
    return input;
  }
}

BuildSession::~BuildSession() { ReleaseOutputs(); }

absl::Time BuildSession::finished_at() {
  absl::MutexLock lock(&mu_);
  return finished_at_;
}

int64_t BuildSession::retained_bytes() {
  absl::MutexLock lock(&mu_);
  return outbox_bytes_;
}

proto::BuildSummary BuildSession::Summary() {
  absl::MutexLock lock(&mu_);
  return summary_;
}

BuildOutline BuildSession::Outline() {
  absl::MutexLock lock(&mu_);
  return outline_;
}

void BuildSession::Cancel(const std::string& reason) {
  proto::BuildClientMessage message;
  message.mutable_cancel()->set_reason(reason);
  FromClient(std::move(message));
}

void BuildSession::NoteContextBytes() {
  absl::MutexLock lock(&mu_);
  summary_.set_uploaded_bytes(uploaded_bytes_);
  summary_.set_skipped_bytes(skipped_bytes_);
}

bool BuildSession::finished() {
  absl::MutexLock lock(&mu_);
  return done_;
}

bool BuildSession::handed_over() {
  absl::MutexLock lock(&mu_);
  return handed_over_;
}

void BuildSession::Finish(const absl::Status& status,
                          proto::BuildResult result) {
  SetStatusFields(status, &result);
  result.set_uploaded_bytes(uploaded_bytes_);
  BuildEnd end;
  end.outcome = status.ok()                 ? BuildOutcome::kSucceeded
                : absl::IsCancelled(status) ? BuildOutcome::kCancelled
                                            : BuildOutcome::kFailed;
  end.fully_cached = fully_cached_;
  end.uploaded_bytes = uploaded_bytes_;
  end.skipped_bytes = skipped_bytes_;
  end.took = deps_.clock->Now() - started_;
  deps_.core->BuildFinished(end);
  // A scheduler that lost the lead cannot forget, and the next one resumes
  // the build. A failure is forgotten before it is told, since it may be
  // that very loss (a fenced write refused, a worker cut off): its client
  // re-attaches to the next leader instead of hearing it. A success is
  // told first: the image is stored whoever forgets the build.
  const bool told_first = status.ok();
  bool handed_over = false;
  auto forget = [&] {
    if (deps_.journal == nullptr) return;
    absl::Status forgotten = deps_.journal->Forget(id_);
    handed_over = absl::IsFailedPrecondition(forgotten);  // the fence
    if (!forgotten.ok()) FARM_LOG(WARNING) << forgotten;
  };
  if (!told_first) forget();
  if (!told_first && handed_over) {
    FARM_LOG(INFO) << "build " << id_ << ": left to the next leader without "
                   << "telling its client: " << status;
  } else {
    proto::BuildServerMessage message;
    *message.mutable_result() = result;
    Send(std::move(message));
  }
  deps_.core->UnregisterBuild(id_);
  NoteContextBytes();
  if (told_first) forget();
  absl::MutexLock lock(&mu_);
  handed_over_ = !told_first && handed_over;
  summary_.set_state(BuildOutcomeName(end.outcome));
  summary_.set_error(std::string(status.message()));
  finished_at_ = deps_.clock->Now();
  summary_.set_finished_unix_nanos(absl::ToUnixNanos(finished_at_));
  summary_.set_jobs_dispatched(result.jobs_dispatched());
  done_ = true;
  inputs_.Close();
}

absl::Status BuildSession::ReceiveManifest(proto::ContextManifest* manifest) {
  if (resumed_manifest_.has_value()) {
    *manifest = *std::move(resumed_manifest_);
    resumed_manifest_.reset();
    return absl::OkStatus();
  }
  while (true) {
    std::optional<Input> input = NextInput();
    if (!input.has_value()) {
      return absl::CancelledError("the client went away");
    }
    auto* message = std::get_if<proto::BuildClientMessage>(&*input);
    if (message == nullptr) continue;
    if (message->has_cancel()) {
      return absl::CancelledError(absl::StrCat("cancelled by the client: ",
                                               message->cancel().reason()));
    }
    if (!message->has_manifest()) continue;
    for (proto::ContextEntry& entry :
         *message->mutable_manifest()->mutable_entries()) {
      manifest->mutable_entries()->Add(std::move(entry));
    }
    if (message->manifest().last()) return absl::OkStatus();
  }
}

absl::Status BuildSession::UploadMissingContext(const PlatformBuilds& builds) {
  const BuildCoordinator& first = *builds.at(0).coordinator;
  const proto::ContextManifest& manifest = first.spec().context;
  // Each platform's plan may read other files (an ARG in a COPY source).
  NeededContext needed;
  std::set<Digest> seen;
  for (size_t p = 0; p < builds.size(); ++p) {
    const BuildCoordinator& c = *builds.at(p).coordinator;
    NeededContext one =
        NeededContextBlobs(c.spec().plan, c.context_tree(), c.spec().context);
    for (const Digest& digest : one.digests) {
      if (seen.insert(digest).second) needed.digests.push_back(digest);
    }
  }
  needed.bytes = ContextBytesOf(manifest, needed.digests);
  ASSIGN_OR_RETURN(std::vector<Digest> missing,
                   deps_.blobs->FindMissing(needed.digests));
  skipped_bytes_ = needed.bytes;
  if (missing.empty()) return absl::OkStatus();
  if (resumed_.has_value()) {
    // Nobody may be there to send them: the client of a resumed build
    // re-attaches if it can, and never uploads again.
    return absl::UnavailableError(absl::StrCat(
        "the farm's scheduler changed during build ", id_, " and ",
        missing.size(),
        " of its context files are no longer in the cache: run it again"));
  }
  skipped_bytes_ -= ContextBytesOf(manifest, missing);
  proto::BuildServerMessage ask;
  for (const Digest& digest : missing) {
    ask.mutable_need()->add_digests(digest.ToString());
  }
  Send(std::move(ask));
  ContextUpload upload(missing, deps_.blobs);
  const int64_t uploaded_before = uploaded_bytes_;
  int attaches_seen = attach_count_;
  while (!upload.done()) {
    std::optional<Input> input = NextInput();
    if (!input.has_value()) {
      return absl::CancelledError("the client went away during the upload");
    }
    auto* message = std::get_if<proto::BuildClientMessage>(&*input);
    if (message == nullptr) continue;
    if (message->has_cancel()) {
      return absl::CancelledError("cancelled by the client");
    }
    if (!message->has_blob()) continue;
    if (attach_count_ != attaches_seen) {
      attaches_seen = attach_count_;
      upload.OnReattach();
    }
    absl::Status taken = upload.OnChunk(message->blob());
    uploaded_bytes_ = uploaded_before + upload.written_bytes();
    RETURN_IF_ERROR(taken);
  }
  return absl::OkStatus();
}

void BuildSession::Execute(PlatformBuilds& builds, size_t platform,
                           std::vector<CoordinatorAction> actions) {
  PlatformBuilds::Entry& entry = builds.at(platform);
  BuildCoordinator& coordinator = *entry.coordinator;
  while (!actions.empty()) {
    std::vector<CoordinatorAction> next;
    for (CoordinatorAction& action : actions) {
      if (auto* lookup = std::get_if<LookupKeys>(&action)) {
        // One batch: one MultiGet, or one call to a remote cache.
        std::vector<absl::StatusOr<proto::ActionResult>> hits =
            deps_.actions->GetMany(lookup->keys);
        std::map<Digest, std::optional<proto::ActionResult>> results;
        for (size_t i = 0; i < hits.size(); ++i) {
          results[lookup->keys[i]] =
              hits[i].ok() ? std::optional<proto::ActionResult>(*hits[i])
                           : std::nullopt;
        }
        std::vector<CoordinatorAction> more = coordinator.OnLookup(results);
        next.insert(next.end(), more.begin(), more.end());
      } else if (auto* dispatch = std::get_if<DispatchStage>(&action)) {
        // The context goes up before the first job that may read it; a
        // build whose every step is cached never reads it.
        if (!context_uploaded_) {
          context_uploaded_ = true;
          absl::Status uploaded = UploadMissingContext(builds);
          NoteContextBytes();
          if (!uploaded.ok()) {
            upload_failed_ = true;
            entry.done = true;
            entry.status = uploaded;
            return;
          }
          Record(builds);
        }
        if (upload_failed_) continue;  // another platform is failing
        const proto::StageJob& job = dispatch->job;
        dispatched_jobs_.insert(
            job.keys().empty() ? absl::StrCat(platform, "/", dispatch->stage)
                               : job.keys(job.keys_size() - 1));
        if (absl::Status moved = MoveLargeContext(dispatch->job); !moved.ok()) {
          entry.done = true;
          entry.status = moved;
          return;
        }
        deps_.core->Submit(id_,
                           PlatformBuilds::JobStage(platform, dispatch->stage),
                           std::move(dispatch->job));
      } else if (auto* emit = std::get_if<EmitEvent>(&action)) {
        Emit(std::move(emit->event), &builds, platform);
      } else if (auto* finish = std::get_if<FinishBuild>(&action)) {
        entry.done = true;
        entry.status = finish->status;
        entry.output = finish->output;
        entry.fully_cached = finish->fully_cached;
      }
    }
    actions = std::move(next);
  }
}

void BuildSession::CancelAll(PlatformBuilds& builds,
                             const std::string& reason) {
  for (size_t p = 0; p < builds.size(); ++p) {
    if (builds.at(p).done) continue;
    Execute(builds, p, builds.at(p).coordinator->OnCancel(reason));
  }
}

absl::Status BuildSession::CheckResult(const BuildCoordinator& coordinator,
                                       int stage,
                                       const proto::StageOutput& output) {
  if (deps_.verifier == nullptr) return absl::OkStatus();
  std::optional<proto::StageOutput> base = coordinator.BaseOutputOf(stage);
  absl::Status verified =
      deps_.verifier->Verify(output, base.value_or(proto::StageOutput()));
  if (verified.ok()) return verified;
  FARM_LOG(WARNING) << "build " << id_ << ": refused the result of stage "
                    << stage << ": " << verified;
  return absl::DataLossError(
      absl::StrCat("the result its worker reported for stage ", stage,
                   " failed the scheduler's checks: ", verified.message()));
}

void BuildSession::Drive(PlatformBuilds& builds) {
  for (size_t p = 0; p < builds.size(); ++p) {
    Execute(builds, p, builds.at(p).coordinator->Start());
  }
  while (true) {
    // One platform failing fails the build, as BuildKit's does.
    absl::Status failed = builds.status();
    if (!failed.ok() && !builds.all_done()) {
      CancelAll(builds, std::string(failed.message()));
    }
    if (builds.all_done()) return;
    std::optional<Input> input = NextInput();
    if (!input.has_value()) {
      CancelAll(builds, "the client went away");
    } else if (auto* job = std::get_if<JobDoneInput>(&*input)) {
      auto [platform, stage] = PlatformBuilds::Split(job->stage);
      if (platform >= builds.size() || builds.at(platform).done) continue;
      BuildCoordinator& coordinator = *builds.at(platform).coordinator;
      absl::Status status = job->status;
      if (status.ok()) status = CheckResult(coordinator, stage, job->output);
      Execute(builds, platform,
              status.ok() ? coordinator.OnStageDone(stage, job->output)
                          : coordinator.OnStageFailed(stage, status));
    } else if (auto* event = std::get_if<JobEventInput>(&*input)) {
      auto [platform, stage] = PlatformBuilds::Split(event->stage);
      if (platform < builds.size()) Emit(event->event, &builds, platform);
    } else if (auto* message =
                   std::get_if<proto::BuildClientMessage>(&*input)) {
      if (message->has_cancel()) {
        CancelAll(builds,
                  absl::StrCat("cancelled by the client",
                               message->cancel().reason().empty()
                                   ? ""
                                   : ": " + message->cancel().reason()));
      }
    }
  }
}

void BuildSession::Run() {
  deps_.core->RegisterBuild(id_, this);
  proto::BuildRequest request;
  if (resumed_.has_value()) {
    absl::StatusOr<proto::BuildRequest> taken = TakeOver();
    if (!taken.ok()) {
      Finish(taken.status(), {});
      return;
    }
    request = *std::move(taken);
  } else {
    std::optional<Input> first = NextInput();
    auto* message = first.has_value()
                        ? std::get_if<proto::BuildClientMessage>(&*first)
                        : nullptr;
    if (message == nullptr || !message->has_request()) {
      Finish(absl::InvalidArgumentError(
                 "a build stream must start with a BuildRequest"),
             {});
      return;
    }
    request = message->request();
  }
  recorded_request_ = request;
  had_secrets_ = had_secrets_ || !request.secrets().empty();
  recorded_request_.clear_secrets();
  {
    absl::MutexLock lock(&mu_);
    summary_.set_client(request.client());
    summary_.set_target(request.target());
    for (const std::string& tag : request.tags()) summary_.add_tags(tag);
    outline_.dockerfile = request.dockerfile();
    outline_.dockerfile_name = request.dockerfile_name().empty()
                                   ? "Dockerfile"
                                   : request.dockerfile_name();
  }
  proto::BuildServerMessage accepted;
  accepted.mutable_accepted()->set_build_id(id_);
  if (!deps_.dashboard_url.empty()) {
    accepted.mutable_accepted()->set_dashboard_url(
        absl::StrCat(deps_.dashboard_url, "/builds/", id_));
  }
  Send(std::move(accepted));
  if (resumed_.has_value()) {
    proto::BuildServerMessage notice;
    notice.mutable_event()->set_kind(proto::BuildEvent::INFO);
    notice.mutable_event()->set_text(
        "the farm's scheduler changed: build resumed by the new leader; "
        "stages already in the cache are not run again");
    Send(std::move(notice));
  }

  PlatformBuilds builds;
  proto::BuildResult result;
  absl::Status prepared = Prepare(request, &builds, &result);
  if (!prepared.ok()) {
    Finish(prepared, result);
    return;
  }
  Drive(builds);
  absl::Status status = builds.status();
  int jobs = 0;
  for (size_t p = 0; p < builds.size(); ++p) {
    jobs += builds.at(p).coordinator->jobs_dispatched();
  }
  // A job that several platforms share ran once.
  if (builds.several()) jobs = static_cast<int>(dispatched_jobs_.size());
  result.set_jobs_dispatched(jobs);
  if (status.ok()) status = Deliver(request, builds, &result);
  fully_cached_ = builds.fully_cached();
  FARM_LOG(INFO) << "build " << id_ << ": "
                 << (status.ok() ? "succeeded" : status.ToString())
                 << (fully_cached_ ? " (fully cached)" : "");
  Finish(status, result);
}

}  // namespace farm::scheduler
