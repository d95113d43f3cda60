#include "client/local/container_manager.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "client/local/container_spec.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/subprocess.h"

namespace farm::client::local {
namespace {

// A detached container's output, one line per record: "1 " (stdout) or
// "2 " (stderr), then the line. `farm logs` reads it back.
class LogFileSink : public executor::OutputSink {
 public:
  explicit LogFileSink(const std::string& path)
      : fd_(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                 0600)) {}
  void Line(executor::Stream stream, absl::string_view line) override {
    if (fd_.get() < 0) return;
    std::string record = absl::StrCat(
        stream == executor::Stream::kStdout ? "1 " : "2 ", line, "\n");
    if (write(fd_.get(), record.data(), record.size()) < 0) {
      FARM_LOG(WARNING) << "writing a container's log: " << strerror(errno);
    }
  }

 private:
  ScopedFd fd_;
};

bool HasEnv(const proto::ContainerConfig& config, absl::string_view key) {
  for (const std::string& entry : config.env()) {
    if (absl::string_view(entry).substr(0, entry.find('=')) == key) return true;
  }
  return false;
}

// Docker's hostname (the short id) and the variables it adds.
void CompleteConfig(const std::string& short_id,
                    proto::ContainerConfig& config) {
  if (config.hostname().empty()) config.set_hostname(short_id);
  if (!HasEnv(config, "HOSTNAME")) {
    config.add_env(absl::StrCat("HOSTNAME=", config.hostname()));
  }
  if (config.tty() && !HasEnv(config, "TERM")) config.add_env("TERM=xterm");
}

proto::ExitReport ReportOf(const absl::StatusOr<executor::ExitStatus>& exit) {
  proto::ExitReport report;
  if (exit.ok()) {
    report.set_code(exit->code);
  } else {
    report.set_code(ExitCodeForError(exit.status()));
    report.set_error_code(static_cast<int>(exit.status().code()));
    report.set_error(std::string(exit.status().message()));
  }
  return report;
}

}  // namespace

struct ContainerManager::Live {
  std::unique_ptr<snapshot::Workspace> workspace;
  executor::Cancellation cancel;  // detached ones: the server is stopping
  bool remove_when_done = false;
};

absl::StatusOr<std::unique_ptr<ContainerManager>> ContainerManager::Create(
    Options options) {
  auto manager =
      std::unique_ptr<ContainerManager>(new ContainerManager(options));
  const std::string run_dir = JoinPath(options.root, "run");
  RETURN_IF_ERROR(MakeDirs(run_dir, 0700));
  ASSIGN_OR_RETURN(manager->table_,
                   ContainerTable::Open(JoinPath(options.root, "containers")));
  executor::RuncExecutor::Options executor_options;
  executor_options.state_dir = JoinPath(run_dir, "executor");
  ASSIGN_OR_RETURN(manager->executor_,
                   executor::RuncExecutor::Create(executor_options));
  // What the last server left running is no one's now.
  for (proto::ContainerRecord record : manager->table_->List(false)) {
    manager->KillRuntime(record.runtime_id());
    record.set_state("exited");
    record.set_exit_code(137);
    record.set_error("the local farm server stopped");
    record.set_finished_unix_nanos(absl::ToUnixNanos(absl::Now()));
    if (record.config().auto_remove()) {
      manager->table_->Remove(record.id()).IgnoreError();
    } else {
      manager->table_->Update(record).IgnoreError();
    }
  }
  snapshot::SnapshotStoreOptions snapshot_options;
  snapshot_options.root = JoinPath(run_dir, "snapshots");
  ASSIGN_OR_RETURN(manager->snapshots_, snapshot::SnapshotStore::Open(
                                            snapshot_options, options.blobs));
  return manager;
}

ContainerManager::~ContainerManager() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, live] : live_) live->cancel.Cancel();
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) thread.join();
}

absl::StatusOr<ContainerManager::Attached> ContainerManager::Start(
    const proto::ContainerConfig& config, bool attached) {
  ASSIGN_OR_RETURN(proto::ContainerRecord record,
                   table_->Create(config, attached, absl::Now()));
  CompleteConfig(ShortId(record.id()), *record.mutable_config());
  std::vector<proto::LayerRef> chain(config.layers().begin(),
                                     config.layers().end());
  absl::StatusOr<std::unique_ptr<snapshot::Workspace>> workspace =
      snapshots_->Mount(chain);
  if (!workspace.ok()) {
    table_->Remove(record.id()).IgnoreError();
    return workspace.status();
  }
  Attached out;
  out.rootfs = (*workspace)->rootfs();
  record.set_state("running");
  record.set_started_unix_nanos(absl::ToUnixNanos(absl::Now()));
  record.set_runc_root(executor_->runc_root());
  RETURN_IF_ERROR(table_->Update(record));
  auto live = std::make_shared<Live>();
  live->workspace = *std::move(workspace);
  absl::MutexLock lock(&mu_);
  live_[record.id()] = std::move(live);
  out.record = std::move(record);
  return out;
}

absl::StatusOr<proto::ContainerRecord> ContainerManager::RunDetached(
    const proto::ContainerConfig& config) {
  ASSIGN_OR_RETURN(Attached started, Start(config, /*attached=*/false));
  const proto::ContainerRecord& record = started.record;
  absl::StatusOr<executor::ProcessSpec> spec =
      ProcessSpecOf(config, record.runtime_id(), /*attached=*/false);
  std::shared_ptr<Live> live;
  {
    absl::MutexLock lock(&mu_);
    live = live_[record.id()];
  }
  if (!spec.ok()) {
    Finish(record.id(), ReportOf(spec.status()));
    return spec.status();
  }
  // Whether the thread has ended, and how.
  auto outcome = std::make_shared<std::optional<proto::ExitReport>>();
  auto outcome_mu = std::make_shared<absl::Mutex>();
  std::thread thread([this, id = record.id(), rootfs = started.rootfs,
                      spec = *std::move(spec), live, outcome, outcome_mu] {
    LogFileSink sink(table_->LogPath(id));
    proto::ExitReport report =
        ReportOf(executor_->Run(rootfs, spec, sink, live->cancel));
    {
      absl::MutexLock lock(outcome_mu.get());
      *outcome = report;
    }
    Finish(id, report);
  });
  {
    absl::MutexLock lock(&mu_);
    threads_.push_back(std::move(thread));
  }
  // Returns once the process runs: runc has written the container's state
  // and a start that fails (no such command) fails within moments of it.
  const std::string state = JoinPath(
      JoinPath(executor_->runc_root(), record.runtime_id()), "state.json");
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::Time created_at = absl::InfiniteFuture();
  while (absl::Now() < deadline) {
    {
      absl::MutexLock lock(outcome_mu.get());
      if (outcome->has_value()) {
        const proto::ExitReport& report = **outcome;
        if (report.error().empty()) break;  // it ran, and is done already
        return absl::Status(static_cast<absl::StatusCode>(report.error_code()),
                            report.error());
      }
    }
    if (created_at == absl::InfiniteFuture() && PathExists(state)) {
      created_at = absl::Now();
    }
    if (absl::Now() - created_at > absl::Milliseconds(200)) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::StatusOr<proto::ContainerRecord> now = table_->Find(record.id());
  return now.ok() ? *now : record;
}

absl::StatusOr<ContainerManager::Attached> ContainerManager::StartAttached(
    const proto::ContainerConfig& config) {
  return Start(config, /*attached=*/true);
}

void ContainerManager::EndAttached(const std::string& id,
                                   const proto::ExitReport* report) {
  if (report != nullptr) {
    Finish(id, *report);
    return;
  }
  absl::StatusOr<proto::ContainerRecord> record = table_->Find(id);
  if (record.ok()) KillRuntime(record->runtime_id());
  proto::ExitReport gone;
  gone.set_code(137);
  gone.set_error("the client that ran it went away");
  Finish(id, gone);
}

void ContainerManager::Finish(const std::string& id,
                              const proto::ExitReport& report) {
  std::shared_ptr<Live> live;
  {
    absl::MutexLock lock(&mu_);
    auto it = live_.find(id);
    if (it == live_.end()) return;
    live = it->second;
  }
  if (live->workspace != nullptr) {
    absl::Status released = live->workspace->Release();
    if (!released.ok()) {
      FARM_LOG(WARNING) << "releasing container " << ShortId(id) << ": "
                        << released;
    }
  }
  absl::StatusOr<proto::ContainerRecord> record = table_->Find(id);
  if (record.ok()) {
    // A container that never ran stays "created", as in Docker.
    const bool ran = report.error().empty();
    record->set_state(ran ? "exited" : "created");
    record->set_exit_code(report.code());
    record->set_error(report.error());
    record->set_finished_unix_nanos(absl::ToUnixNanos(absl::Now()));
    absl::Status saved =
        record->config().auto_remove() || live->remove_when_done
            ? table_->Remove(id)
            : table_->Update(*record);
    if (!saved.ok()) {
      FARM_LOG(WARNING) << "container " << ShortId(id) << ": " << saved;
    }
  }
  absl::MutexLock lock(&mu_);
  live_.erase(id);
}

bool ContainerManager::SignalUntilGone(const proto::ContainerRecord& record,
                                       const std::string& signal,
                                       absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const std::string& id = record.id();
  auto gone = [this, &id]() ABSL_SHARED_LOCKS_REQUIRED(mu_) -> bool {
    return live_.count(id) == 0;
  };
  while (true) {
    // Again until it is gone: runc refuses a container it is still making.
    absl::StatusOr<CommandResult> killed =
        RunCommand({"runc", "--root", executor_->runc_root(), "kill",
                    record.runtime_id(), signal});
    (void)killed;
    absl::MutexLock lock(&mu_);
    const absl::Time next =
        std::min(deadline, absl::Now() + absl::Milliseconds(500));
    if (mu_.AwaitWithDeadline(absl::Condition(&gone), next)) return true;
    if (absl::Now() >= deadline) return false;
  }
}

void ContainerManager::KillRuntime(const std::string& runtime_id) {
  const std::string runc_root = executor_->runc_root();
  (void)RunCommand({"runc", "--root", runc_root, "kill", runtime_id, "KILL"});
  (void)RunCommand(
      {"runc", "--root", runc_root, "delete", "--force", runtime_id});
}

absl::StatusOr<proto::ContainerRecord> ContainerManager::Stop(
    const std::string& ref, std::optional<absl::Duration> timeout) {
  ASSIGN_OR_RETURN(proto::ContainerRecord record, table_->Find(ref));
  if (!SignalUntilGone(record, "TERM",
                       timeout.value_or(options_.stop_timeout)) &&
      !SignalUntilGone(record, "KILL", absl::Seconds(30))) {
    return absl::DeadlineExceededError(
        absl::StrCat("container ", ShortId(record.id()), " did not stop"));
  }
  absl::StatusOr<proto::ContainerRecord> now = table_->Find(record.id());
  return now.ok() ? *now : record;
}

absl::StatusOr<proto::ContainerRecord> ContainerManager::Remove(
    const std::string& ref, bool force) {
  ASSIGN_OR_RETURN(proto::ContainerRecord record, table_->Find(ref));
  {
    absl::MutexLock lock(&mu_);
    auto it = live_.find(record.id());
    if (it != live_.end()) {
      if (!force) {
        return absl::FailedPreconditionError(absl::StrCat(
            "You cannot remove a running container ", record.id(),
            ". Stop the container before attempting removal or force "
            "remove"));
      }
      it->second->remove_when_done = true;
    }
  }
  if (!SignalUntilGone(record, "KILL", absl::Seconds(30))) {
    return absl::DeadlineExceededError(
        absl::StrCat("container ", ShortId(record.id()), " did not stop"));
  }
  // Finish removed it if it was running; a stopped one goes now.
  absl::Status removed = table_->Remove(record.id());
  if (!removed.ok()) return removed;
  return record;
}

int ContainerManager::running() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(live_.size());
}

}  // namespace farm::client::local
