// CacheMountPointerClient: the scheduler's pointers to the newest generation
// of each cache mount, as a worker reaches them (CacheMountService), for the
// tenant a job's grant names (StageJob.cache_mount_grant). A seam, so that
// CacheMountSync is tested without a scheduler.
#ifndef FARM_WORKER_CACHE_MOUNT_POINTER_CLIENT_H_
#define FARM_WORKER_CACHE_MOUNT_POINTER_CLIENT_H_

#include <grpcpp/channel.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/digest.h"
#include "proto/worker.grpc.pb.h"

namespace farm::worker {

// One generation of a cache mount: a CAS blob.
struct Generation {
  Digest digest;  // empty: none
  int64_t size = 0;
};

// Implementations are thread-safe.
class CacheMountPointerClient {
 public:
  virtual ~CacheMountPointerClient() = default;
  // The newest generation of mount `id` (an empty digest: none yet).
  // kPermissionDenied for a grant that lapsed.
  virtual absl::StatusOr<Generation> Get(const std::string& grant,
                                         const std::string& id) = 0;
  // Points mount `id` at `to` (stored in the CAS already) if it still
  // points at `from`; kAborted when another worker advanced it first.
  virtual absl::Status Advance(const std::string& grant, const std::string& id,
                               const Digest& from, const Generation& to) = 0;
};

// Over the CacheMountService of the scheduler a worker is connected to.
class GrpcCacheMountPointerClient : public CacheMountPointerClient {
 public:
  explicit GrpcCacheMountPointerClient(
      std::shared_ptr<grpc::Channel> channel,
      absl::Duration timeout = absl::Seconds(30));

  absl::StatusOr<Generation> Get(const std::string& grant,
                                 const std::string& id) override;
  absl::Status Advance(const std::string& grant, const std::string& id,
                       const Digest& from, const Generation& to) override;

 private:
  std::unique_ptr<proto::CacheMountService::Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace farm::worker

#endif  // FARM_WORKER_CACHE_MOUNT_POINTER_CLIENT_H_
