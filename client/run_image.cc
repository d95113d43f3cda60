#include "client/run_image.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <set>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/command_line.h"
#include "client/image_blob_store.h"
#include "client/local/container_spec.h"
#include "common/fs.h"
#include "common/grpc_status.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "grpcpp/client_context.h"
#include "image/oci/manifest.h"
#include "proto/container.grpc.pb.h"
#include "proto/image.grpc.pb.h"
#include "worker/executor/runc_executor.h"
#include "worker/platforms.h"
#include "worker/snapshot/snapshot_store.h"

namespace farm::client {
namespace {

constexpr char kDefaultPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Sets K in "K=V" entries, in place or at the end.
void SetEnv(std::vector<std::string>& env, const std::string& key,
            const std::string& value) {
  for (std::string& entry : env) {
    if (entry.substr(0, entry.find('=')) == key) {
      entry = absl::StrCat(key, "=", value);
      return;
    }
  }
  env.push_back(absl::StrCat(key, "=", value));
}

bool HasEnv(const std::vector<std::string>& env, const std::string& key) {
  for (const std::string& entry : env) {
    if (entry.substr(0, entry.find('=')) == key) return true;
  }
  return false;
}

// Twelve hex digits, like a Docker container's short id.
std::string NewHostname() {
  unsigned char bytes[6] = {};
  if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes)) return "farm-run";
  std::string out;
  for (unsigned char b : bytes)
    absl::StrAppend(&out, absl::Hex(b, absl::kZeroPad2));
  return out;
}

absl::StatusOr<std::vector<proto::LayerRef>> ImageLayers(
    const image::oci::ImageConfig& config, absl::string_view manifest_json) {
  ASSIGN_OR_RETURN(image::oci::Manifest manifest,
                   image::oci::Manifest::Parse(manifest_json));
  if (manifest.layers.size() != config.diff_ids.size()) {
    return absl::DataLossError(absl::StrCat(
        "the manifest lists ", manifest.layers.size(),
        " layers but the config ", config.diff_ids.size(), " diff_ids"));
  }
  std::vector<proto::LayerRef> chain;
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    proto::LayerRef ref;
    ref.set_digest(manifest.layers[i].digest.ToString());
    ref.set_diff_id(config.diff_ids[i].ToString());
    ref.set_size(manifest.layers[i].size);
    ref.set_media_type(manifest.layers[i].media_type);
    chain.push_back(std::move(ref));
  }
  return chain;
}

// The image `reference` names, as the image of `platform` if that is set.
absl::StatusOr<proto::InspectImageResponse> InspectForRun(
    proto::ImageService::Stub& images, const std::string& reference,
    const std::string& platform) {
  proto::InspectImageRequest request;
  request.set_reference(reference);
  request.set_platform(platform);
  proto::InspectImageResponse image;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  absl::Status inspected =
      FromGrpcStatus(images.InspectImage(&context, request, &image));
  RETURN_IF_ERROR(Annotate(inspected, absl::StrCat("image ", reference)));
  return image;
}

// The snapshot store `farm run --remote` keeps under <root>/run/remote,
// shared by successive runs; a run that finds another one using it takes a
// private store for itself instead (opening a store cleans up its workspaces).
class RunStore {
 public:
  static absl::StatusOr<std::unique_ptr<RunStore>> Open(
      const std::string& run_dir, cache::BlobStore* blobs) {
    auto store = std::unique_ptr<RunStore>(new RunStore);
    RETURN_IF_ERROR(MakeDirs(run_dir, 0700));
    const std::string lock = JoinPath(run_dir, "snapshots.lock");
    store->lock_ =
        ScopedFd(open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (store->lock_.get() < 0) return ErrnoStatus(errno, lock);
    std::string dir = JoinPath(run_dir, "snapshots");
    if (flock(store->lock_.get(), LOCK_EX | LOCK_NB) != 0) {
      dir = JoinPath(run_dir, absl::StrCat("private-", getpid()));
      store->private_dir_ = dir;
    }
    snapshot::SnapshotStoreOptions options;
    options.root = dir;
    ASSIGN_OR_RETURN(store->snapshots_,
                     snapshot::SnapshotStore::Open(options, blobs));
    return store;
  }
  ~RunStore() {
    snapshots_.reset();
    if (!private_dir_.empty()) RemoveAll(private_dir_).IgnoreError();
  }
  snapshot::SnapshotStore& snapshots() { return *snapshots_; }

 private:
  RunStore() = default;
  ScopedFd lock_;
  std::string private_dir_;
  std::unique_ptr<snapshot::SnapshotStore> snapshots_;
};

// While alive, SIGTERM and SIGHUP cancel the run; SIGINT is left to runc,
// which passes it to the container, unless it comes a third time. Handlers
// rather than a blocked mask: the farm's gRPC threads exist already and
// would otherwise take the signal and kill the process, leaving the
// container behind.
std::atomic<int> pending_signal{0};
std::atomic<int> interrupts{0};

void OnRunSignal(int signal) {
  if (signal == SIGINT && interrupts.fetch_add(1) + 1 < 3) return;
  pending_signal.store(signal);
}

class SignalWatch {
 public:
  explicit SignalWatch(executor::Cancellation* cancel) {
    struct sigaction action = {};
    action.sa_handler = OnRunSignal;
    sigemptyset(&action.sa_mask);
    for (int signal : {SIGTERM, SIGHUP, SIGINT}) {
      sigaction(signal, &action, &previous_[signal]);
    }
    thread_ = std::thread([this, cancel] {
      while (!done_) {
        if (pending_signal.exchange(0) != 0) cancel->Cancel();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  ~SignalWatch() {
    done_ = true;
    thread_.join();
    for (int signal : {SIGTERM, SIGHUP, SIGINT}) {
      sigaction(signal, &previous_[signal], nullptr);
    }
  }

 private:
  struct sigaction previous_[NSIG];
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// Output of an attached run goes straight to the terminal; nothing comes
// here.
class NoOutput : public executor::OutputSink {
 public:
  void Line(executor::Stream, absl::string_view) override {}
};

// Runs `config` in this process over the filesystem the local server
// mounts for it, and reports its end to the server, which keeps its record.
absl::StatusOr<int> RunAttached(proto::ContainerService::Stub& containers,
                                const proto::ContainerConfig& config,
                                const std::string& root) {
  grpc::ClientContext context;
  auto stream = containers.RunAttached(&context);
  proto::AttachedRunRequest start;
  *start.mutable_start() = config;
  proto::AttachedRunReply reply;
  if (!stream->Write(start) || !stream->Read(&reply)) {
    stream->WritesDone();
    return FromGrpcStatus(stream->Finish());
  }
  ASSIGN_OR_RETURN(
      executor::ProcessSpec spec,
      local::ProcessSpecOf(reply.record().config(), reply.record().runtime_id(),
                           /*attached=*/true));
  // The executor's state directory must be absolute (runc's --root).
  ASSIGN_OR_RETURN(const std::string absolute_root, AbsolutePath(root));
  executor::RuncExecutor::Options executor_options;
  executor_options.state_dir = JoinPath(absolute_root, "run/executor");
  absl::StatusOr<executor::ExitStatus> exit;
  absl::StatusOr<std::unique_ptr<executor::RuncExecutor>> executor =
      executor::RuncExecutor::Create(executor_options);
  if (!executor.ok()) {
    exit = executor.status();
  } else {
    executor::Cancellation cancel;
    NoOutput output;
    SignalWatch signals(&cancel);
    exit = (*executor)->Run(reply.rootfs(), spec, output, cancel);
  }
  proto::AttachedRunRequest end;
  proto::ExitReport* report = end.mutable_exited();
  if (exit.ok()) {
    report->set_code(exit->code);
  } else {
    report->set_code(local::ExitCodeForError(exit.status()));
    report->set_error_code(static_cast<int>(exit.status().code()));
    report->set_error(std::string(exit.status().message()));
  }
  stream->Write(end);
  stream->WritesDone();
  while (stream->Read(&reply)) {
  }
  absl::Status finished = FromGrpcStatus(stream->Finish());
  if (!exit.ok()) return exit.status();
  if (!finished.ok()) {
    FARM_LOG(WARNING) << "the local farm server: " << finished;
  }
  return exit->code;
}

// `farm run --remote`: a remote farm runs no containers, so this process
// runs the image itself, its layers read through the farm's ImageService (a
// client may read its own images' blobs and nothing else of the CAS) into a
// snapshot store of its own under <root>/run/remote.
absl::StatusOr<int> RunRemoteImage(const proto::ContainerConfig& config,
                                   std::shared_ptr<grpc::Channel> channel,
                                   const std::string& root) {
  ASSIGN_OR_RETURN(const std::string absolute_root, AbsolutePath(root));
  const std::string run_dir = JoinPath(absolute_root, "run/remote");
  ImageBlobStore blobs(channel, config.image());
  ASSIGN_OR_RETURN(std::unique_ptr<RunStore> store,
                   RunStore::Open(run_dir, &blobs));
  std::vector<proto::LayerRef> chain(config.layers().begin(),
                                     config.layers().end());
  ASSIGN_OR_RETURN(std::unique_ptr<snapshot::Workspace> workspace,
                   store->snapshots().Mount(chain));
  ASSIGN_OR_RETURN(executor::ProcessSpec spec,
                   local::ProcessSpecOf(config, "", /*attached=*/true));
  executor::RuncExecutor::Options executor_options;
  executor_options.state_dir = JoinPath(run_dir, "executor");
  ASSIGN_OR_RETURN(std::unique_ptr<executor::RuncExecutor> executor,
                   executor::RuncExecutor::Create(executor_options));
  executor::Cancellation cancel;
  NoOutput output;
  absl::StatusOr<executor::ExitStatus> exit;
  {
    SignalWatch signals(&cancel);
    exit = executor->Run(workspace->rootfs(), spec, output, cancel);
  }
  absl::Status released = workspace->Release();
  if (!released.ok()) {
    FARM_LOG(WARNING) << "removing the container: " << released;
  }
  if (!exit.ok()) return exit.status();
  return exit->code;
}

}  // namespace

absl::StatusOr<RunOptions> ParseRunArgs(const std::vector<std::string>& args) {
  FlagSpec spec;
  spec.with_value = {"env",  "user",    "workdir", "entrypoint", "platform",
                     "name", "publish", "volume",  "network"};
  // Docker's usual bundles of one-letter flags, spelled out.
  const std::set<std::string> bundles = {"it",  "ti", "dit", "dti", "itd",
                                         "tid", "id", "di",  "dt",  "td"};
  spec.boolean = {"rm", "interactive", "tty", "detach"};
  spec.boolean.insert(bundles.begin(), bundles.end());
  spec.aliases = {{"e", "env"},         {"u", "user"},   {"w", "workdir"},
                  {"i", "interactive"}, {"t", "tty"},    {"d", "detach"},
                  {"p", "publish"},     {"v", "volume"}, {"net", "network"}};
  spec.stop_at_positional = true;
  ASSIGN_OR_RETURN(CommandLine line, CommandLine::Parse(args, spec));
  if (line.positional().empty()) {
    return absl::InvalidArgumentError("\"farm run\" requires an IMAGE");
  }
  RunOptions options;
  options.image = line.positional()[0];
  options.command.assign(line.positional().begin() + 1,
                         line.positional().end());
  options.env = line.GetAll("env");
  options.user = line.Get("user");
  options.workdir = line.Get("workdir");
  if (line.Has("entrypoint")) options.entrypoint = line.Get("entrypoint");
  options.remove = line.Has("rm");
  options.platform = line.Get("platform");
  options.detach = line.Has("detach");
  options.interactive = line.Has("interactive");
  options.tty = line.Has("tty");
  for (const std::string& bundle : bundles) {
    if (!line.Has(bundle)) continue;
    options.detach |= absl::StrContains(bundle, 'd');
    options.interactive |= absl::StrContains(bundle, 'i');
    options.tty |= absl::StrContains(bundle, 't');
  }
  options.name = line.Get("name");
  options.publish = line.GetAll("publish");
  options.volumes = line.GetAll("volume");
  options.network = line.Get("network", "bridge");
  return options;
}

absl::StatusOr<executor::ProcessSpec> ContainerSpec(
    const image::oci::ImageConfig& config, const RunOptions& options,
    const std::function<std::optional<std::string>(const std::string&)>&
        host_env) {
  executor::ProcessSpec spec;
  if (options.entrypoint.has_value()) {
    if (!options.entrypoint->empty()) spec.args = {*options.entrypoint};
  } else {
    spec.args = config.config.entrypoint;
  }
  const std::vector<std::string>& cmd =
      !options.command.empty() || options.entrypoint.has_value()
          ? options.command
          : config.config.cmd;
  spec.args.insert(spec.args.end(), cmd.begin(), cmd.end());
  if (spec.args.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.image, ": no command specified"));
  }

  spec.env = config.config.env;
  for (const std::string& entry : options.env) {
    size_t eq = entry.find('=');
    if (eq != std::string::npos) {
      SetEnv(spec.env, entry.substr(0, eq), entry.substr(eq + 1));
    } else if (std::optional<std::string> value = host_env(entry)) {
      SetEnv(spec.env, entry, *value);
    }
  }
  if (!HasEnv(spec.env, "PATH")) SetEnv(spec.env, "PATH", kDefaultPath);

  spec.user = options.user.empty() ? config.config.user : options.user;
  if (!options.workdir.empty() && !absl::StartsWith(options.workdir, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("the working directory '", options.workdir,
                     "' is invalid, it needs to be an absolute path"));
  }
  spec.cwd = !options.workdir.empty()             ? options.workdir
             : !config.config.working_dir.empty() ? config.config.working_dir
                                                  : "/";
  spec.network = executor::NetworkMode::kHost;
  spec.security = executor::SecurityMode::kSandbox;
  spec.no_new_privileges = false;  // as `docker run` without --security-opt
  spec.bind_etc_hostname = true;
  spec.attach_stdio = true;
  return spec;
}

absl::StatusOr<int> RunImage(const RunOptions& options,
                             std::shared_ptr<grpc::Channel> channel,
                             const std::string& root, bool remote) {
  auto images = proto::ImageService::NewStub(channel);
  ASSIGN_OR_RETURN(proto::InspectImageResponse image,
                   InspectForRun(*images, options.image, options.platform));
  // A multi-platform image runs as this machine's platform's, as with
  // Docker.
  if (!image.index().empty()) {
    ASSIGN_OR_RETURN(
        image, InspectForRun(*images, options.image, worker::NativePlatform()));
  }
  ASSIGN_OR_RETURN(image::oci::ImageConfig config,
                   image::oci::ImageConfig::Parse(image.config()));
  ASSIGN_OR_RETURN(std::vector<proto::LayerRef> chain,
                   ImageLayers(config, image.manifest()));
  ASSIGN_OR_RETURN(
      executor::ProcessSpec spec,
      ContainerSpec(config, options,
                    [](const std::string& key) -> std::optional<std::string> {
                      const char* value = getenv(key.c_str());
                      if (value == nullptr) return std::nullopt;
                      return std::string(value);
                    }));
  const bool terminal = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  if (options.tty && options.interactive && !options.detach &&
      !isatty(STDIN_FILENO)) {
    return absl::InvalidArgumentError("the input device is not a TTY");
  }
  proto::ContainerConfig container;
  container.set_image(options.image);
  container.set_image_id(image.summary().image_id());
  for (proto::LayerRef& layer : chain) *container.add_layers() = layer;
  for (const std::string& arg : spec.args) container.add_args(arg);
  for (const std::string& entry : spec.env) container.add_env(entry);
  container.set_cwd(spec.cwd);
  container.set_user(spec.user);
  container.set_network(options.network);
  for (const std::string& publish : options.publish) {
    ASSIGN_OR_RETURN(*container.add_ports(), local::ParsePublish(publish));
  }
  for (const std::string& volume : options.volumes) {
    ASSIGN_OR_RETURN(*container.add_mounts(), local::ParseVolume(volume));
  }
  container.set_tty(options.tty && !options.detach && terminal);
  container.set_interactive(options.interactive && !options.detach);
  container.set_name(options.name);
  container.set_auto_remove(options.remove);

  if (remote) {
    if (options.detach || !options.name.empty()) {
      return absl::InvalidArgumentError(
          "-d and --name need the local farm: a remote farm runs no "
          "containers, so `farm run --remote` runs one in the foreground");
    }
    container.set_hostname(NewHostname());
    container.add_env(absl::StrCat("HOSTNAME=", container.hostname()));
    return RunRemoteImage(container, channel, root);
  }
  auto containers = proto::ContainerService::NewStub(channel);
  if (options.detach) {
    grpc::ClientContext context;
    proto::ContainerRecord record;
    RETURN_IF_ERROR(
        FromGrpcStatus(containers->Run(&context, container, &record)));
    std::cout << record.id() << "\n";
    return 0;
  }
  return RunAttached(*containers, container, root);
}

}  // namespace farm::client
