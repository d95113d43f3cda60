// farm-cache: serves a node's RocksDB layer cache over gRPC.
//   farm-cache --listen 0.0.0.0:7070 --root /var/lib/farm-cache --max-bytes N
//              [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
//              [--tokens FILE] [--insecure]
// Stops cleanly on SIGTERM or SIGINT.
#include <signal.h>

#include <cstdint>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "auth/server_security.h"
#include "auth/server_security_flags.h"
#include "cache/blob_checking_action_cache.h"
#include "cache/rocksdb_cache.h"
#include "cache/service/cache_service.h"
#include "cache/service/grpc_server.h"
#include "cache/write_once_action_cache.h"
#include "common/command_flags.h"
#include "common/logging.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7070",
          "address to serve on; port 0 picks a free one");
ABSL_FLAG(std::string, root, "/var/lib/farm-cache", "cache directory");
ABSL_FLAG(uint64_t, max_bytes, 0, "blob byte budget; 0 means no limit");

int main(int argc, char** argv) {
  farm::UnderscoreFlagNames(argc, argv);
  absl::ParseCommandLine(argc, argv);

  // Block the stop signals before gRPC starts threads, then wait for one.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  farm::auth::ServerSecurityFlags security_flags =
      farm::auth::ServerSecurityFlagsFromCommandLine();
  absl::StatusOr<std::unique_ptr<farm::auth::ServerSecurity>> security =
      farm::auth::ServerSecurity::Make(
          "farm-cache", absl::GetFlag(FLAGS_listen), security_flags);
  if (!security.ok()) {
    std::cerr << security.status().message() << "\n";  // names farm-cache
    return 1;
  }

  farm::cache::RocksDbCache::Options options;
  options.root = absl::GetFlag(FLAGS_root);
  options.max_bytes = absl::GetFlag(FLAGS_max_bytes);
  absl::StatusOr<std::unique_ptr<farm::cache::RocksDbCache>> cache =
      farm::cache::RocksDbCache::Open(options);
  if (!cache.ok()) {
    FARM_LOG(ERROR) << cache.status();
    return 1;
  }
  farm::cache::BlobCheckingActionCache checked((*cache)->actions(),
                                               (*cache)->blobs());
  farm::cache::WriteOnceActionCache actions(&checked, (*cache)->counters());
  farm::cache::CacheService service((*cache)->blobs(), &actions, cache->get(),
                                    (*security)->authenticator());
  absl::StatusOr<farm::cache::RunningServer> server =
      farm::cache::StartGrpcServer(absl::GetFlag(FLAGS_listen), {&service},
                                   (*security)->credentials());
  if (!server.ok()) {
    FARM_LOG(ERROR) << server.status();
    return 1;
  }
  // Tests read the port at the end of this line.
  FARM_LOG(INFO) << "farm-cache serving " << options.root << " ("
                 << (*security)->Describe() << ") on port " << server->port;

  int signal = 0;
  sigwait(&stop, &signal);
  FARM_LOG(INFO) << "signal " << signal << ": shutting down";
  server->server->Shutdown();
  return 0;
}
