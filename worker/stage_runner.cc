#include "worker/stage_runner.h"

#include <unistd.h>

#include <atomic>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/serial_tasks.h"
#include "common/status_macros.h"
#include "worker/config_builder.h"
#include "worker/executor/limits.h"
#include "worker/job_plan.h"
#include "worker/layer_publisher.h"
#include "worker/run_limits.h"
#include "worker/source_trees.h"
#include "worker/step_actions.h"

namespace farm::worker {
namespace {

std::optional<int64_t> SourceDateEpoch(const proto::StageJob& job,
                                       std::optional<int64_t> fallback) {
  auto it = job.build_args().find("SOURCE_DATE_EPOCH");
  int64_t value = 0;
  if (it != job.build_args().end() && absl::SimpleAtoi(it->second, &value)) {
    return value;
  }
  return fallback;
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp out;
  int64_t nanos = absl::ToUnixNanos(time);
  out.set_seconds(nanos / 1000000000);
  out.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return out;
}

// One run of one job.
class StageRun {
 public:
  StageRun(const StageRunnerEnv& env, const proto::StageJob& job,
           EventSink& events, const executor::Cancellation& cancel)
      : env_(env), job_(job), events_(events), cancel_(cancel) {}

  absl::StatusOr<proto::StageOutput> Run();

 private:
  absl::Status Start();
  // Runs instruction `index` (1 is the first after FROM), with its events.
  absl::Status Step(int index);
  // Returns true when the action cache answered.
  absl::StatusOr<bool> Execute(int index);
  // The cached result of each instruction that has one, by its index in
  // job_.keys: what the scheduler found when it looked (or, from a
  // scheduler that does not say, one batch lookup here), less those whose
  // layer is no longer stored, checked in one call.
  absl::Status LookUpAll();
  // Runs instruction `index` and writes its layer to a file; the file's
  // path is set in `file`, to be stored by StoreInBackground.
  absl::StatusOr<proto::LayerRef> MakeLayer(int index, std::string& file);
  // Stores the layer file of step `index` in the CAS off this thread, then
  // records the step's action result (the action cache refuses a result
  // whose layer it does not hold yet).
  void StoreInBackground(int index, const Digest& key, std::string file,
                         proto::ActionResult result);
  void Record(const Digest& key, const proto::ActionResult& result);
  // Waits for the background stores; a failure is reported on its step.
  absl::Status FinishStores();

  const StageRunnerEnv& env_;
  const proto::StageJob& job_;
  EventSink& events_;
  const executor::Cancellation& cancel_;
  std::string scratch_;
  std::optional<JobPlan> plan_;
  std::optional<StepReporter> reporter_;
  std::optional<ConfigBuilder> builder_;
  std::optional<SourceTrees> sources_;
  std::vector<proto::LayerRef> chain_;
  std::map<int, proto::ActionResult> hits_;
  std::optional<int64_t> source_date_epoch_;
  // Each RUN's: the worker's, lowered by the job's own.
  executor::ResourceLimits run_limits_;
  // Layer uploads, overlapping the steps after them; the failed one's step.
  SerialTasks stores_;
  std::atomic<int> failed_store_step_{0};
};

absl::Status StageRun::Start() {
  absl::StatusOr<JobPlan> plan = ReadJobPlan(job_);
  if (!plan.ok()) {
    StepReporter(&events_, env_.clock, job_.stage_index(),
                 absl::StrCat(job_.stage_index()), job_.keys_size())
        .Error(0, plan.status().message(), absl::ZeroDuration());
    return plan.status();
  }
  plan_.emplace(*std::move(plan));
  const proto::PlannedStage& stage = plan_->stage;
  reporter_.emplace(
      &events_, env_.clock, stage.index(),
      stage.name().empty() ? absl::StrCat(stage.index()) : stage.name(),
      stage.instructions_size() + 1);
  const absl::Time start = env_.clock->Now();
  const std::string from = absl::StrCat("FROM ", stage.base());
  reporter_->Started(0, from);
  auto fail = [&](const absl::Status& status) {
    absl::Status annotated =
        Annotate(status, absl::StrCat(plan_->dockerfile_name, ":",
                                      stage.from_line(), ": ", from));
    reporter_->Error(0, annotated.message(), env_.clock->Now() - start);
    return annotated;
  };
  JobBase base = BaseOfJob(job_);
  ConfigBuilderOptions options;
  options.platform = plan_->platform;
  options.build_args.insert(job_.build_args().begin(), job_.build_args().end());
  options.meta_args = plan_->meta_args;
  absl::StatusOr<ConfigBuilder> builder =
      ConfigBuilder::Start(base.config, std::move(options));
  if (!builder.ok()) return fail(builder.status());
  builder_.emplace(*std::move(builder));
  chain_ = std::move(base.layers);
  source_date_epoch_ = SourceDateEpoch(job_, env_.source_date_epoch);
  run_limits_ =
      executor::TightestLimits(env_.run_limits, FromProto(job_.run_limits()));
  sources_.emplace(job_, env_.snapshots, env_.blobs, env_.context_mirrors,
                   scratch_);
  reporter_->Done(0, env_.clock->Now() - start);
  return absl::OkStatus();
}

absl::StatusOr<proto::StageOutput> StageRun::Run() {
  static std::atomic<uint64_t> counter{0};
  scratch_ = JoinPath(env_.scratch_dir,
                      absl::StrCat("job-", getpid(), "-", counter++));
  RETURN_IF_ERROR(MakeDirs(scratch_, 0700));
  absl::Cleanup remove_scratch = [this] {
    stores_.Wait().IgnoreError();  // their files are in the scratch dir
    sources_.reset();              // unmounts before the files go
    if (absl::Status status = RemoveAll(scratch_); !status.ok()) {
      FARM_LOG(WARNING) << "removing " << scratch_ << ": " << status;
    }
  };
  RETURN_IF_ERROR(Start());
  if (!job_.no_cache()) RETURN_IF_ERROR(LookUpAll());
  for (int index = 1; index < job_.keys_size(); ++index) {
    RETURN_IF_ERROR(Step(index));
  }
  RETURN_IF_ERROR(FinishStores());
  proto::StageOutput output;
  output.set_config(builder_->ToJson());
  for (const proto::LayerRef& layer : chain_) *output.add_layers() = layer;
  output.set_final_key(job_.keys(job_.keys_size() - 1));
  return output;
}

absl::Status StageRun::Step(int index) {
  const proto::PlannedInstruction& planned =
      plan_->stage.instructions(index - 1);
  const absl::Time start = env_.clock->Now();
  reporter_->Started(index, planned.text());
  absl::StatusOr<bool> cached = Execute(index);
  if (!cached.ok()) {
    absl::Status status = AnnotateStep(
        cached.status(), absl::StrCat(plan_->dockerfile_name, ":",
                                      planned.line(), ": ", planned.text()));
    reporter_->Error(index, status.message(), env_.clock->Now() - start);
    return status;
  }
  if (*cached) {
    reporter_->Cached(index, planned.text());
  } else {
    reporter_->Done(index, env_.clock->Now() - start);
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> StageRun::Execute(int index) {
  if (cancel_.IsCancelled()) return absl::CancelledError("cancelled");
  const dockerfile::Instruction& instruction = plan_->instructions[index - 1];
  ASSIGN_OR_RETURN(StepRecord step, builder_->Apply(instruction));
  ASSIGN_OR_RETURN(Digest key, Digest::Parse(job_.keys(index)));
  auto hit = hits_.find(index);
  // A result whose config does not parse counts as a miss too.
  if (hit != hits_.end() && builder_->Restore(hit->second.config()).ok()) {
    if (!hit->second.empty_layer()) chain_.push_back(hit->second.layer());
    return true;
  }
  const absl::Time created = source_date_epoch_.has_value()
                                 ? absl::FromUnixSeconds(*source_date_epoch_)
                                 : env_.clock->Now();
  proto::ActionResult result;
  std::optional<Digest> diff_id;
  std::string layer_file;
  if (step.makes_layer) {
    ASSIGN_OR_RETURN(proto::LayerRef layer, MakeLayer(index, layer_file));
    ASSIGN_OR_RETURN(diff_id, Digest::Parse(layer.diff_id()));
    *result.mutable_layer() = layer;
    chain_.push_back(std::move(layer));
  } else {
    result.set_empty_layer(true);
  }
  builder_->Record(step, diff_id, created);
  result.set_config(builder_->ToJson());
  *result.mutable_created() = ToTimestamp(created);
  result.set_created_by(step.created_by);
  if (step.writes_history) result.set_comment(kHistoryComment);
  if (step.makes_layer) {
    StoreInBackground(index, key, std::move(layer_file), std::move(result));
  } else {
    Record(key, result);
  }
  return false;
}

void StageRun::StoreInBackground(int index, const Digest& key, std::string file,
                                 proto::ActionResult result) {
  stores_.Add([this, index, key, file = std::move(file),
               result = std::move(result)]() -> absl::Status {
    absl::Status stored =
        cancel_.IsCancelled()
            ? absl::CancelledError("cancelled")
            : StoreLayerFile(result.layer(), file, *env_.blobs);
    if (!stored.ok()) {
      failed_store_step_ = index;
      return stored;
    }
    Record(key, result);
    return absl::OkStatus();
  });
}

void StageRun::Record(const Digest& key, const proto::ActionResult& result) {
  if (absl::Status status = env_.actions->Update(key, result); !status.ok()) {
    // The build is still right; only a later build misses this step.
    FARM_LOG(WARNING) << "recording " << key.ToString() << ": " << status;
  }
}

absl::Status StageRun::FinishStores() {
  const absl::Time start = env_.clock->Now();
  absl::Status status = stores_.Wait();
  if (status.ok()) return status;
  const int index = failed_store_step_;
  const proto::PlannedInstruction& planned =
      plan_->stage.instructions(index - 1);
  status =
      AnnotateStep(status, absl::StrCat(plan_->dockerfile_name, ":",
                                        planned.line(), ": ", planned.text()));
  reporter_->Error(index, status.message(), env_.clock->Now() - start);
  return status;
}

absl::Status StageRun::LookUpAll() {
  if (job_.looked_up()) {
    for (const auto& [index, result] : job_.cached()) {
      if (index > 0 && index < job_.keys_size()) hits_[index] = result;
    }
  } else {
    std::vector<Digest> keys;
    for (int index = 1; index < job_.keys_size(); ++index) {
      ASSIGN_OR_RETURN(Digest key, Digest::Parse(job_.keys(index)));
      keys.push_back(key);
    }
    std::vector<absl::StatusOr<proto::ActionResult>> found =
        env_.actions->GetMany(keys);
    for (size_t i = 0; i < found.size(); ++i) {
      if (found[i].ok()) {
        hits_[static_cast<int>(i) + 1] = *std::move(found[i]);
      } else if (!absl::IsNotFound(found[i].status())) {
        FARM_LOG(WARNING) << "action cache lookup " << keys[i].ToString()
                          << ": " << found[i].status();
      }
    }
  }
  // A hit whose layer is gone counts as a miss; running the step again
  // repairs the entry.
  std::vector<Digest> layers;
  for (auto it = hits_.begin(); it != hits_.end();) {
    absl::StatusOr<Digest> layer =
        it->second.empty_layer() ? absl::StatusOr<Digest>(Digest())
                                 : Digest::Parse(it->second.layer().digest());
    if (it->second.config().empty() || !layer.ok()) {
      it = hits_.erase(it);
      continue;
    }
    if (!it->second.empty_layer()) layers.push_back(*layer);
    ++it;
  }
  if (layers.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<Digest>> missing = env_.blobs->FindMissing(layers);
  if (!missing.ok()) {
    FARM_LOG(WARNING) << "checking cached layers: " << missing.status();
    hits_.clear();
    return absl::OkStatus();
  }
  absl::flat_hash_set<std::string> gone;
  for (const Digest& digest : *missing) gone.insert(digest.ToString());
  for (auto it = hits_.begin(); it != hits_.end();) {
    const bool lost =
        !it->second.empty_layer() && gone.contains(it->second.layer().digest());
    it = lost ? hits_.erase(it) : std::next(it);
  }
  return absl::OkStatus();
}

absl::StatusOr<proto::LayerRef> StageRun::MakeLayer(int index,
                                                    std::string& file) {
  const dockerfile::Instruction& instruction = plan_->instructions[index - 1];
  const std::string step_dir = JoinPath(scratch_, absl::StrCat("step-", index));
  RETURN_IF_ERROR(MakeDirs(step_dir, 0700));
  ASSIGN_OR_RETURN(std::unique_ptr<snapshot::Workspace> workspace,
                   env_.snapshots->Mount(chain_));
  StepLogSink output(&*reporter_, index);
  StepInputs in;
  in.job = &job_;
  in.instruction = &instruction;
  in.planned = &plan_->stage.instructions(index - 1);
  in.builder = &*builder_;
  in.sources = &*sources_;
  in.caches = env_.cache_mounts;
  in.executor = env_.executor;
  in.blobs = env_.blobs;
  in.clock = env_.clock;
  in.scratch_dir = step_dir;
  in.output = &output;
  in.cancel = &cancel_;
  in.limits = run_limits_;
  in.writable_dir = workspace->upper();
  in.source_date_epoch = source_date_epoch_;
  if (instruction.As<dockerfile::RunInstruction>() != nullptr) {
    RETURN_IF_ERROR(RunCommand(in, workspace->rootfs()));
  } else if (instruction.As<dockerfile::WorkdirInstruction>() != nullptr) {
    RETURN_IF_ERROR(MakeWorkdir(workspace->rootfs(), builder_->working_dir(),
                                builder_->user()));
  } else {
    RETURN_IF_ERROR(CopyFiles(in, workspace->rootfs()));
  }
  if (cancel_.IsCancelled()) return absl::CancelledError("cancelled");
  file = JoinPath(step_dir, "layer.tar.gz");
  ASSIGN_OR_RETURN(
      proto::LayerRef layer,
      WriteLayerFile(workspace->upper(), file, source_date_epoch_));
  ASSIGN_OR_RETURN(Digest diff_id, Digest::Parse(layer.diff_id()));
  RETURN_IF_ERROR(workspace->Commit(diff_id, source_date_epoch_));
  return layer;
}

}  // namespace

namespace {
// A context manifest of a few million entries.
constexpr size_t kMaxContextBlobBytes = size_t{2} << 30;
}  // namespace

absl::StatusOr<proto::StageOutput> StageRunner::Run(
    const proto::StageJob& job, EventSink& events,
    const executor::Cancellation& cancel) {
  if (job.context_digest().empty()) {
    return StageRun(env_, job, events, cancel).Run();
  }
  // A context too large for the job message waits in the CAS.
  proto::StageJob whole = job;
  ASSIGN_OR_RETURN(Digest digest, Digest::Parse(job.context_digest()));
  absl::StatusOr<std::string> bytes =
      cache::GetBlob(*env_.blobs, digest, kMaxContextBlobBytes);
  if (!bytes.ok()) {
    return Annotate(bytes.status(), "reading the job's context manifest");
  }
  if (!whole.mutable_context()->ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("the job's context manifest ",
                                            job.context_digest(),
                                            " does not parse"));
  }
  return StageRun(env_, whole, events, cancel).Run();
}

}  // namespace farm::worker
