#include "client/build/build_command.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <future>
#include <iostream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/build/build_options.h"
#include "client/build/build_session.h"
#include "client/build/grpc_build_stream.h"
#include "client/build/interrupt_watcher.h"
#include "client/build/secrets.h"
#include "client/build/stdin_context.h"
#include "client/build_inputs.h"
#include "client/context/context_blob_source.h"
#include "client/context/context_walker.h"
#include "client/context/stat_cache.h"
#include "client/progress/client_steps.h"
#include "client/progress/printer_factory.h"
#include "client/progress/text_format.h"
#include "common/fs.h"
#include "common/logging.h"
#include "common/status_fields.h"
#include "common/status_macros.h"
#include "dockerfile/dockerignore.h"
#include "worker/run_limits.h"

namespace farm::client::build {

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;  // 128 + SIGINT, as shells report it
constexpr int kExitTerminated = 143;   // 128 + SIGTERM
// After a second Ctrl-C (or a SIGTERM) the build is abandoned; if the
// process has not exited this long after, it is ended outright.
constexpr absl::Duration kAbandonDeadline = absl::Seconds(2);

// Leaks `snap` on purpose; for the end of a command, before the process
// exits.
void KeepUntilExit(context::ContextSnapshot snap) {
  static auto* kept = new std::vector<context::ContextSnapshot>();
  kept->push_back(std::move(snap));
}

// "user@host", for `farm builds`.
std::string ClientName() {
  std::string user;
  if (const char* env = getenv("USER"); env != nullptr && *env) {
    user = env;
  } else if (struct passwd* pw = getpwuid(getuid())) {
    user = pw->pw_name;
  }
  char host[HOST_NAME_MAX + 1] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(user.empty() ? "unknown" : user, "@", host);
}

// Runs the steps after the command line is understood; every error ends
// up in a failed BuildResult for the printer.
class BuildCommand {
 public:
  BuildCommand(BuildOptions options, FarmEndpoint endpoint,
               const ChannelOpener& open)
      : options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        open_(open) {
    progress::PrinterOptions printer_options;
    printer_options.show_workers = !options_.remote.empty();
    printer_ = progress::MakeProgressPrinter(
        options_.quiet ? progress::ProgressMode::kQuiet : options_.progress,
        printer_options);
    steps_ = std::make_unique<progress::ClientSteps>(printer_.get(),
                                                     RealClock::Get());
  }

  int Run();

 private:
  int Fail(const absl::Status& status, int exit_code = kExitFailed) {
    proto::BuildResult result;
    SetStatusFields(status, &result);
    printer_->OnResult(result);
    return exit_code;
  }
  absl::StatusOr<context::ContextSnapshot> Walk(
      const dockerfile::IgnoreMatcher& ignore);

  const BuildOptions options_;
  const FarmEndpoint endpoint_;
  const ChannelOpener& open_;
  std::unique_ptr<progress::ProgressPrinter> printer_;
  std::unique_ptr<progress::ClientSteps> steps_;
};

absl::StatusOr<context::ContextSnapshot> BuildCommand::Walk(
    const dockerfile::IgnoreMatcher& ignore) {
  char resolved[PATH_MAX];
  if (realpath(options_.context.c_str(), resolved) == nullptr) {
    return ErrnoStatus(
        errno, absl::StrCat("unable to prepare context: ", options_.context));
  }
  // A context unpacked from standard input is new each time.
  std::string cache_path =
      options_.stat_cache ? context::DefaultStatCachePath(resolved) : "";
  std::unique_ptr<context::StatCache> cache;
  context::WalkOptions walk;
  if (!cache_path.empty()) {
    cache = std::make_unique<context::StatCache>(cache_path);
    cache->Load();
    walk.stat_cache = cache.get();
  }
  absl::StatusOr<context::ContextSnapshot> snap =
      context::WalkContext(resolved, ignore, walk);
  if (snap.ok() && cache != nullptr) {
    if (absl::Status s = cache->Save(); !s.ok()) {
      FARM_LOG(WARNING) << "the stat cache was not saved: " << s;
    }
  }
  return snap;
}

int BuildCommand::Run() {
  // Secrets first: one that cannot be read fails before anything is sent.
  absl::StatusOr<std::map<std::string, std::string>> secrets =
      ReadSecrets(options_.secrets, ProcessEnv());
  if (!secrets.ok()) return Fail(secrets.status());

  // The Dockerfile.
  std::string definition = options_.file.empty() || options_.file == "-"
                               ? std::string("Dockerfile")
                               : BaseName(options_.file);
  progress::ClientSteps::Step step =
      steps_->Start("load build definition from " + definition);
  absl::StatusOr<DockerfileSource> dockerfile =
      ReadDockerfile(options_.context, options_.file);
  if (!dockerfile.ok()) {
    step.Fail(std::string(dockerfile.status().message()));
    return Fail(dockerfile.status());
  }
  step.Log(absl::StrCat("transferring dockerfile: ",
                        progress::FormatBytes(dockerfile->content.size()),
                        " done"));
  step.Done();

  // The ignore rules.
  step = steps_->Start("load .dockerignore");
  absl::StatusOr<dockerfile::IgnoreMatcher> ignore = dockerfile::LoadIgnoreFile(
      options_.context, options_.file == "-" ? "" : dockerfile->path);
  if (!ignore.ok()) {
    step.Fail(std::string(ignore.status().message()));
    return Fail(ignore.status());
  }
  step.Log(ignore->source().empty()
               ? std::string("no .dockerignore")
               : absl::StrCat(
                     ignore->patterns().size(),
                     ignore->patterns().size() == 1 ? " pattern" : " patterns",
                     " from ", BaseName(ignore->source())));
  step.Done();

  // Opening the farm overlaps the walk: the embedded farm opens its cache
  // and loads its index meanwhile, on the other core.
  FarmEndpoint endpoint = endpoint_;
  // A --remote among the build's own flags (callers other than main.cc,
  // which takes it as the global one) overrides the endpoint's.
  if (options_.remote != endpoint.remote) {
    ResolveRemote(options_.remote, nullptr, endpoint);
  }
  std::future<absl::StatusOr<std::shared_ptr<grpc::Channel>>> opening =
      std::async(std::launch::async,
                 [this, endpoint] { return open_(endpoint); });

  // The context.
  step = steps_->Start("load build context");
  absl::StatusOr<context::ContextSnapshot> snap = Walk(*ignore);
  if (!snap.ok()) {
    step.Fail(std::string(snap.status().message()));
    return Fail(snap.status());
  }
  const context::WalkStats& stats = snap->stats;
  step.Log(absl::StrCat(
      stats.files, " files (", progress::FormatBytes(stats.file_bytes), "), ",
      stats.directories, " directories, ", stats.symlinks, " symlinks; hashed ",
      stats.hashed_files, " (", progress::FormatBytes(stats.hashed_bytes),
      "), ", stats.cached_files, " unchanged"));
  step.Done();

  std::unique_ptr<OutputFiles> outputs;
  if (!options_.outputs.empty()) {
    absl::StatusOr<std::unique_ptr<OutputFiles>> created =
        OutputFiles::Create(options_.outputs, STDOUT_FILENO);
    if (!created.ok()) return Fail(created.status());
    outputs = *std::move(created);
  }

  SessionOptions session_options;
  // The local server keeps its builds in memory: one that died took them
  // with it, and a new one would not know the build. Say so at once.
  if (endpoint.remote.empty()) session_options.max_attach_attempts = 0;
  proto::BuildRequest& request = session_options.request;
  request.set_dockerfile(dockerfile->content);
  request.set_dockerfile_name(dockerfile->name);
  request.mutable_build_args()->insert(options_.build_args.begin(),
                                       options_.build_args.end());
  request.set_target(options_.target);
  for (const std::string& tag : options_.tags) request.add_tags(tag);
  request.set_no_cache(options_.no_cache);
  // `--platform A,B` builds an image for each, under one index.
  std::vector<std::string> platforms =
      absl::StrSplit(options_.platform, ',', absl::SkipEmpty());
  if (platforms.size() > 1) {
    for (const std::string& p : platforms) request.add_platforms(p);
  } else {
    request.set_platform(options_.platform);
  }
  if (outputs != nullptr) {
    for (const std::string& format : outputs->formats()) {
      request.add_outputs(format);
    }
  }
  request.set_pull(options_.pull);
  request.set_push(options_.push);
  request.set_client(ClientName());
  for (const std::string& entitlement : options_.entitlements) {
    request.add_entitlements(entitlement);
  }
  request.mutable_secrets()->insert(secrets->begin(), secrets->end());
  request.mutable_labels()->insert(options_.labels.begin(),
                                   options_.labels.end());
  const proto::RunLimits run_limits = worker::ToProto(options_.run_limits);
  if (run_limits.ByteSizeLong() > 0) {
    *request.mutable_run_limits() = run_limits;
  }
  for (const std::string& p : ignore->patterns()) {
    request.add_ignore_patterns(p);
  }
  session_options.manifest = &snap->manifest;
  context::ContextBlobSource blobs(*snap);
  session_options.blobs = &blobs;
  session_options.printer = printer_.get();
  session_options.steps = steps_.get();
  session_options.outputs = outputs.get();

  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = opening.get();
  if (!channel.ok()) {
    return Fail(Annotate(channel.status(),
                         endpoint.remote.empty()
                             ? std::string("starting the embedded farm")
                             : "connecting to the farm at " + endpoint.remote));
  }
  // The embedded farm's channel is in-process: nothing to wait for.
  GrpcBuildConnector connector(*channel, endpoint.remote.empty()
                                             ? absl::ZeroDuration()
                                             : absl::Seconds(2));
  BuildSession session(&connector, std::move(session_options));

  // Ctrl-C: cancel, then hang up, then exit. SIGTERM: hang up at once, so
  // the temporary outputs still get removed.
  std::atomic<bool> terminated{false};
  absl::StatusOr<std::unique_ptr<InterruptWatcher>> watcher =
      InterruptWatcher::Start([&session, &terminated](int signal, int n) {
        if (n > 2) {
          _exit(signal == SIGTERM ? kExitTerminated : kExitInterrupted);
        }
        if (signal == SIGTERM) {
          terminated = true;
          session.HangUp();
        } else {
          session.Interrupt();
        }
        if (signal == SIGTERM || n == 2) {
          std::thread([code = signal == SIGTERM ? kExitTerminated
                                                : kExitInterrupted] {
            absl::SleepFor(kAbandonDeadline);
            _exit(code);
          }).detach();
        }
      });
  if (!watcher.ok()) {
    FARM_LOG(WARNING) << "Ctrl-C will not cancel the build: "
                      << watcher.status();
  }
  absl::StatusOr<proto::BuildResult> result = session.Run();
  watcher = absl::CancelledError("done");  // restores SIGINT and SIGTERM
  const int failed = terminated              ? kExitTerminated
                     : session.interrupted() ? kExitInterrupted
                                             : kExitFailed;
  if (!result.ok()) return Fail(result.status(), failed);
  if (result->ok() && outputs != nullptr) {
    if (absl::Status s = outputs->Commit(); !s.ok()) return Fail(s);
  }
  if (result->ok() && !options_.iidfile.empty()) {
    if (absl::Status s = WriteFileAtomic(options_.iidfile, result->image_id());
        !s.ok()) {
      return Fail(Annotate(s, "--iidfile"));
    }
  }
  printer_->OnResult(*result);
  // The process ends next: freeing a big context's entries one by one
  // would take longer than a cached build of it.
  KeepUntilExit(*std::move(snap));
  return result->ok() ? 0 : failed;
}

}  // namespace

int RunBuildCommand(const std::vector<std::string>& args,
                    const FarmEndpoint& endpoint, const ChannelOpener& open) {
  absl::StatusOr<BuildOptions> options =
      ParseBuildOptions(args, endpoint.remote);
  if (!options.ok()) {
    std::cerr << "farm build: " << options.status().message() << "\n"
              << kBuildUsage;
    return kExitUsage;
  }
  if (options->help) {
    std::cout << kBuildUsage;
    return 0;
  }
  // `farm build -`: the context (or only a Dockerfile) on standard input.
  std::unique_ptr<StdinContext> stdin_context;
  if (options->context == "-") {
    if (options->file == "-") {
      std::cerr << "farm build: standard input cannot be both the context "
                   "and the Dockerfile\n";
      return kExitUsage;
    }
    absl::StatusOr<std::unique_ptr<StdinContext>> read =
        StdinContext::Read(STDIN_FILENO);
    if (!read.ok()) {
      std::cerr << "farm build: " << read.status().message() << "\n";
      return kExitFailed;
    }
    stdin_context = *std::move(read);
    if (!stdin_context->is_archive() && !options->file.empty()) {
      std::cerr << "farm build: -f names a file in the context, and standard "
                   "input holds only a Dockerfile\n";
      return kExitUsage;
    }
    options->context = stdin_context->dir();
    // -f is a path inside the archive.
    if (!options->file.empty() && options->file[0] != '/') {
      options->file = JoinPath(stdin_context->dir(), options->file);
    }
    options->stat_cache = false;
  }
  return BuildCommand(*std::move(options), endpoint, open).Run();
}

}  // namespace farm::client::build
