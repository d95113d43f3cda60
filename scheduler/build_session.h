// BuildSession: one build, from the client's request to its result. It runs
// on a thread of its own: it plans, asks the client for the context blobs
// the build reads, drives a BuildCoordinator (cache lookups, stage jobs
// through the SchedulerCore), and finally stores and tags the image. What it
// says to the client goes to an outbox that a stream handler follows, so a
// client that reconnects can re-attach and replay what it missed.
#ifndef FARM_SCHEDULER_BUILD_SESSION_H_
#define FARM_SCHEDULER_BUILD_SESSION_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/action_cache.h"
#include "cache/blob_store.h"
#include "common/blocking_queue.h"
#include "common/clock.h"
#include "image/fetch/fetch_policy.h"
#include "proto/build.pb.h"
#include "proto/journal.pb.h"
#include "scheduler/build_coordinator.h"
#include "scheduler/build_journal.h"
#include "scheduler/build_outline.h"
#include "scheduler/build_preparation.h"
#include "scheduler/distribution_forms.h"
#include "scheduler/image_resolver.h"
#include "scheduler/image_store.h"
#include "scheduler/platform_builds.h"
#include "scheduler/result_verifier.h"
#include "scheduler/scheduler_core.h"

namespace farm::scheduler {

// What a session uses; BuildService makes one for each build, for the
// tenant of the caller.
struct SessionDeps {
  cache::BlobStore* blobs = nullptr;
  cache::ActionCache* actions = nullptr;
  SchedulerCore* core = nullptr;
  // The build's tenant: its images (tags, FROM resolution), the namespace
  // of its action results ("" when tenants share them) and its key for
  // secret digests.
  std::string tenant;
  ImageStore* images = nullptr;
  std::shared_ptr<ImageResolver> resolver;
  std::string cache_namespace;
  std::string secrets_key;
  // Entitlements the scheduler grants to builds that ask for them.
  std::set<std::string> entitlements;
  // Which hosts ADD <url> may reach; null: public addresses only.
  const image::FetchPolicy* fetch_policy = nullptr;
  // Checks each stage's result from its worker; null: none (tests).
  ResultVerifier* verifier = nullptr;
  Clock* clock = RealClock::Get();
  std::string spool_dir;
  // How long a build outlives a client that went away without cancelling,
  // waiting for it to re-attach.
  absl::Duration client_grace = absl::Seconds(5);
  // Log bytes one step may send; what it writes past them is dropped, with
  // one line that says so (BuildKit's limit is the same 2 MiB). 0: none.
  int64_t step_log_limit = int64_t{2} << 20;
  // Log bytes the whole build may send, past which every step's log is
  // clipped the same way; 0: none.
  int64_t build_log_limit = 0;
  // Bytes of the files in the build's context; 0: no limit.
  int64_t max_context_bytes = 0;
  // A stage job whose context entries serialize to more than this many
  // bytes carries them as a CAS blob (StageJob.context_digest), far below
  // the 64 MiB message limit; 0: always inline.
  int64_t inline_context_limit = int64_t{4} << 20;
  // The dashboard's address ("https://farm.example:7443"), for the build
  // page's URL in BuildAccepted; "" when the farm has no dashboard.
  std::string dashboard_url;
  // Pushes a stored image to its registry (the registry step sets it).
  std::function<absl::Status(const std::string& tag)> push;
  // Makes the gzip form of plain layers for `--output type=oci`; not owned.
  DistributionForms* distribution = nullptr;
  // Where the build is written down once its context is complete, so that
  // a scheduler taking over can resume it (farm-scheduler --etcd); null:
  // nowhere. Not owned.
  BuildJournal* journal = nullptr;
};

class BuildSession : public BuildListener {
 public:
  BuildSession(std::string build_id, SessionDeps deps);

  // Inputs; any thread. Each client stream is an attachment: the first is
  // 0, and ClientAttached returns the next one's number. What a stream
  // that another has replaced still says (a chunk it had read, its
  // detach, noticed late) is dropped, so it can neither corrupt the
  // upload that restarts nor cancel a build that has a client again.
  void FromClient(proto::BuildClientMessage message, int attachment);
  int ClientAttached();
  void ClientDetached(int attachment);
  // The same, from whichever stream is attached now.
  void FromClient(proto::BuildClientMessage message) {
    FromClient(std::move(message), attachment_.load());
  }
  void ClientDetached() { ClientDetached(attachment_.load()); }

  // BuildListener: only queue.
  void OnJobDone(int stage, const absl::Status& status,
                 const proto::StageOutput& output) override;
  void OnJobEvent(int stage, const proto::BuildEvent& event) override;

  // Makes this session the continuation of `record`, a build that the
  // scheduler leading before this one wrote down: Run takes the request
  // and the context from the record instead of a client, numbers its
  // events after every event sent before, and records the takeover. Call
  // before Run.
  void Resume(proto::BuildRecord record);

  // Runs the build to its end on the calling thread.
  void Run();

  // Writes what the session says, from sequence `after` + 1 on, through
  // `write` until the result is out; false when `write` fails or
  // `cancelled` turns true first.
  bool Follow(
      int64_t after,
      const std::function<bool(const proto::BuildServerMessage&)>& write,
      const std::function<bool()>& cancelled = [] { return false; });

  const std::string& id() const { return id_; }
  const std::string& tenant() const { return deps_.tenant; }
  proto::BuildSummary Summary();
  // What the dashboard draws: the Dockerfile and each platform's stage
  // graph (none until the build is planned). Any thread.
  BuildOutline Outline();
  // The progress events after sequence `after`, at most `limit` of them,
  // waiting up to `wait` for one to come. Any thread.
  EventPage EventsAfter(int64_t after, size_t limit, absl::Duration wait);
  // Cancels the build as its client would (the dashboard's button).
  void Cancel(const std::string& reason);
  bool finished();
  // It ended without a result for its client: it failed after this
  // scheduler lost the lead of its group, and the next leader resumes it.
  bool handed_over();
  // When it finished; meaningful once finished().
  absl::Time finished_at();
  // Memory the session keeps for re-attaches (its outbox).
  int64_t retained_bytes();
  // Deletes the archives spooled for `--output`: once a client has them,
  // or when the session is let go of.
  void ReleaseOutputs();
  ~BuildSession() override;

 private:
  struct JobDoneInput {
    int stage;
    absl::Status status;
    proto::StageOutput output;
  };
  struct JobEventInput {
    int stage;
    proto::BuildEvent event;
  };
  struct DetachedInput {};
  struct AttachedInput {};
  using Input = std::variant<proto::BuildClientMessage, JobDoneInput,
                             JobEventInput, DetachedInput, AttachedInput>;
  // An outbox entry; `output_path` is an archive streamed as OutputChunks.
  struct Outgoing {
    proto::BuildServerMessage message;
    std::string output_path;
  };

  // Waits for the next input, cancelling the build when a detached client
  // stays away past the grace period. nullopt: stop now.
  std::optional<Input> NextInput();
  // The context's manifest, in chunks (or from the resumed record).
  absl::Status ReceiveManifest(proto::ContextManifest* manifest);
  // The request of a resumed build, its manifest read back from the CAS
  // and the takeover recorded.
  absl::StatusOr<proto::BuildRequest> TakeOver();
  // Writes the build down in the journal, if there is one; the context is
  // complete in the CAS.
  void Record(const PlatformBuilds& builds);
  // Plans the build for each of its target platforms, fetches the URLs the
  // plans read and receives the context manifest.
  absl::Status Prepare(const proto::BuildRequest& request,
                       PlatformBuilds* builds, proto::BuildResult* result);
  // Asks the client for the context files the build reads and the farm
  // lacks, and stores them. Called once, before the first job.
  absl::Status UploadMissingContext(const PlatformBuilds& builds);
  // Runs every platform's coordinator to its end.
  void Drive(PlatformBuilds& builds);
  // The worker's result for `stage`, checked (SessionDeps::verifier).
  absl::Status CheckResult(const BuildCoordinator& coordinator, int stage,
                           const proto::StageOutput& output);
  // Carries out the actions of platform `platform`'s coordinator.
  void Execute(PlatformBuilds& builds, size_t platform,
               std::vector<CoordinatorAction> actions);
  // Moves a large context subset out of `job` into the CAS.
  absl::Status MoveLargeContext(proto::StageJob& job);
  // Cancels every platform not done yet.
  void CancelAll(PlatformBuilds& builds, const std::string& reason);
  void Emit(proto::BuildEvent event, const PlatformBuilds* builds = nullptr,
            size_t platform = 0);
  void Send(proto::BuildServerMessage message, std::string output_path = "");
  void Finish(const absl::Status& status, proto::BuildResult result);
  // Copies the context byte counts into the summary.
  void NoteContextBytes();
  absl::Status Deliver(const proto::BuildRequest& request,
                       const PlatformBuilds& builds,
                       proto::BuildResult* result);
  // Stores the built image, or each platform's image and their index, under
  // the request's tags; returns what the tags point at.
  absl::StatusOr<ImageInfo> Store(const proto::BuildRequest& request,
                                  const PlatformBuilds& builds,
                                  proto::BuildResult* result);

  const std::string id_;
  SessionDeps deps_;
  // The request as the journal keeps it: without its secrets' values.
  proto::BuildRequest recorded_request_;
  bool had_secrets_ = false;
  // Set by Resume: the record taken over, and its context.
  std::optional<proto::BuildRecord> resumed_;
  std::optional<proto::ContextManifest> resumed_manifest_;
  // Events are numbered from here on (BuildRecord::resumes).
  int64_t sequence_base_ = 0;
  BlockingQueue<Input> inputs_;
  bool detached_ = false;
  int attach_count_ = 0;
  // The attachment whose inputs count.
  std::atomic<int> attachment_{0};
  absl::Time detached_since_;

  absl::Mutex mu_;
  std::vector<Outgoing> outbox_ ABSL_GUARDED_BY(mu_);
  int64_t outbox_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> spooled_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool handed_over_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time finished_at_ ABSL_GUARDED_BY(mu_);
  proto::BuildSummary summary_ ABSL_GUARDED_BY(mu_);
  BuildOutline outline_ ABSL_GUARDED_BY(mu_);
  // Steps the cache answered, counted once each in the summary.
  std::set<std::tuple<size_t, int, int>> cached_steps_;
  // Steps, by platform, stage and instruction, are numbered in the order
  // they start.
  using StepKey = std::tuple<size_t, int, int>;
  std::map<StepKey, int> step_numbers_;
  std::map<StepKey, std::string> step_texts_;
  std::map<StepKey, int64_t> step_log_bytes_;
  int64_t build_log_bytes_ = 0;
  std::set<StepKey> clipped_steps_;
  // What Finish reports to the core (BuildEnd).
  absl::Time started_;
  int64_t uploaded_bytes_ = 0;
  int64_t skipped_bytes_ = 0;
  bool fully_cached_ = false;
  bool context_uploaded_ = false;  // UploadMissingContext ran
  bool upload_failed_ = false;
  // The last key of every job submitted: jobs that several platforms
  // share are one job.
  std::set<std::string> dispatched_jobs_;
};

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_BUILD_SESSION_H_
