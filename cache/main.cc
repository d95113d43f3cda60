// farm-cache: serves a node's RocksDB layer cache over gRPC.
//   farm-cache --listen 0.0.0.0:7070 --root /var/lib/farm-cache --max-bytes N
// Stops cleanly on SIGTERM or SIGINT.
#include <signal.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "cache/blob_checking_action_cache.h"
#include "cache/rocksdb_cache.h"
#include "cache/service/cache_service.h"
#include "cache/service/grpc_server.h"
#include "common/logging.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7070",
          "address to serve on; port 0 picks a free one");
ABSL_FLAG(std::string, root, "/var/lib/farm-cache", "cache directory");
ABSL_FLAG(uint64_t, max_bytes, 0, "blob byte budget; 0 means no limit");

namespace {

// Abseil flag names cannot hold '-': "--max-bytes=1" becomes "--max_bytes=1".
void UnderscoreFlagNames(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--", 2) != 0) continue;
    for (char* c = argv[i] + 2; *c != '\0' && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  UnderscoreFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);

  // Block the stop signals before gRPC starts threads, then wait for one.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  farm::cache::RocksDbCache::Options options;
  options.root = absl::GetFlag(FLAGS_root);
  options.max_bytes = absl::GetFlag(FLAGS_max_bytes);
  absl::StatusOr<std::unique_ptr<farm::cache::RocksDbCache>> cache =
      farm::cache::RocksDbCache::Open(options);
  if (!cache.ok()) {
    FARM_LOG(ERROR) << cache.status();
    return 1;
  }
  farm::cache::BlobCheckingActionCache actions((*cache)->actions(),
                                               (*cache)->blobs());
  farm::cache::CacheService service((*cache)->blobs(), &actions, cache->get());
  absl::StatusOr<farm::cache::RunningServer> server =
      farm::cache::StartGrpcServer(absl::GetFlag(FLAGS_listen), {&service});
  if (!server.ok()) {
    FARM_LOG(ERROR) << server.status();
    return 1;
  }
  FARM_LOG(INFO) << "farm-cache serving " << options.root << " on port "
                 << server->port;

  int signal = 0;
  sigwait(&stop, &signal);
  FARM_LOG(INFO) << "signal " << signal << ": shutting down";
  server->server->Shutdown();
  return 0;
}
