#include "client/embedded_farm.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cache/budget.h"
#include "cache/service/grpc_server.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "scheduler/entitlements.h"

namespace farm::client {

absl::StatusOr<std::unique_ptr<EmbeddedFarm>> EmbeddedFarm::Start(
    const std::string& root, const WorkerStarter& start_worker,
    EmbeddedServing serving) {
  std::unique_ptr<EmbeddedFarm> farm(new EmbeddedFarm);
  scheduler::FarmNodeOptions options;
  options.root = root;
  // One user on their own machine runs this farm: the scheduler's half of
  // an entitlement is theirs to give, so `farm build --allow X` is enough.
  options.entitlements = {scheduler::kSecurityInsecure,
                          scheduler::kNetworkHost};
  // Its only worker runs in this process, on results it cannot lie about.
  options.verify_results = false;
  // Most commands only read the cache; the index loads at the first write.
  options.index_cache_at_open = false;
  // A laptop's build cache keeps a tenth of its disk by default, as
  // BuildKit's garbage collection does; FARM_CACHE_MAX_BYTES sets bytes or
  // a share ("0" for no budget).
  const char* budget_spec = getenv("FARM_CACHE_MAX_BYTES");
  absl::StatusOr<cache::Budget> budget = cache::ResolveBudget(
      budget_spec != nullptr ? budget_spec : "10%", JoinPath(root, "cache"));
  if (!budget.ok()) return Annotate(budget.status(), "FARM_CACHE_MAX_BYTES");
  options.cache_max_bytes = budget->bytes;
  // ADD <url> reaches public addresses only, unless the user lists hosts.
  if (const char* hosts = getenv("FARM_ALLOW_FETCH_HOSTS")) {
    options.allowed_fetch_hosts =
        absl::StrSplit(hosts, ',', absl::SkipWhitespace());
  }
  options.image_in_use = std::move(serving.image_in_use);
  absl::StatusOr<std::unique_ptr<scheduler::FarmNode>> node =
      scheduler::FarmNode::Open(options);
  if (!node.ok()) {
    return Annotate(node.status(),
                    absl::StrCat("opening the farm under ", root));
  }
  farm->node_ = *std::move(node);
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(cache::kMaxMessageBytes);
  builder.SetMaxSendMessageSize(cache::kMaxMessageBytes);
  for (grpc::Service* service : farm->node_->services()) {
    builder.RegisterService(service);
  }
  if (serving.services) farm->more_services_ = serving.services(*farm->node_);
  for (auto& service : farm->more_services_) {
    builder.RegisterService(service.get());
  }
  int bound = 0;
  if (!serving.listen_address.empty()) {
    builder.AddListeningPort(serving.listen_address,
                             grpc::InsecureServerCredentials(), &bound);
  }
  if (!serving.interceptors.empty()) {
    builder.experimental().SetInterceptorCreators(
        std::move(serving.interceptors));
  }
  farm->server_ = builder.BuildAndStart();
  if (farm->server_ == nullptr) {
    return absl::UnavailableError(
        serving.listen_address.empty()
            ? "could not start the embedded farm's server"
            : absl::StrCat("could not listen on ", serving.listen_address));
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(cache::kMaxMessageBytes);
  args.SetMaxSendMessageSize(cache::kMaxMessageBytes);
  farm->channel_ = farm->server_->InProcessChannel(args);
  if (start_worker) {
    // The worker starts when the first job waits for it: a fully cached
    // build runs none, and need not pay for starting one.
    EmbeddedFarm* raw = farm.get();
    raw->start_worker_ = start_worker;
    raw->root_ = root;
    raw->node_->core()->SetWorkWithoutWorkersHandler(
        [raw] { raw->RequestWorker(); });
  }
  return farm;
}

void EmbeddedFarm::RequestWorker() {
  absl::MutexLock lock(&mu_);
  if (worker_requested_) return;
  worker_requested_ = true;
  starter_ = std::thread([this] {
    absl::StatusOr<std::shared_ptr<void>> worker =
        start_worker_(channel_, root_, node_->blobs());
    if (!worker.ok()) {
      // Nothing else will take the jobs: fail them with the reason.
      node_->core()->FailQueuedJobs(
          Annotate(worker.status(), "starting the embedded farm's worker"));
      return;
    }
    absl::MutexLock lock(&mu_);
    worker_ = *std::move(worker);
  });
}

bool EmbeddedFarm::StopIdleWorker() {
  std::shared_ptr<void> worker;
  {
    absl::MutexLock lock(&mu_);
    // Not while it is being started (the starter sets worker_ last).
    if (worker_ == nullptr || !start_worker_) return false;
    worker = std::move(worker_);
  }
  if (starter_.joinable()) starter_.join();
  worker.reset();  // stops it
  {
    absl::MutexLock lock(&mu_);
    worker_requested_ = false;
  }
  // A job queued meanwhile asked for a worker while this one still counted.
  if (node_->core()->Snapshot().jobs_queued > 0) RequestWorker();
  return true;
}

void EmbeddedFarm::Stop() {
  if (node_ != nullptr) node_->core()->SetWorkWithoutWorkersHandler(nullptr);
  {
    absl::MutexLock lock(&mu_);
    worker_requested_ = true;  // no new starter from here on
  }
  if (starter_.joinable()) starter_.join();
  {
    absl::MutexLock lock(&mu_);
    worker_.reset();
  }
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    server_->Wait();
    server_.reset();
  }
}

EmbeddedFarm::~EmbeddedFarm() {
  Stop();
  channel_.reset();
  node_.reset();
}

}  // namespace farm::client
