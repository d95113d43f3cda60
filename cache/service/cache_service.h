// CacheService: the gRPC face of a node's layer cache. Each method checks
// that the caller may (workers read and write, admins administer, clients
// never touch the cache directly), converts the request to domain values,
// calls the BlobStore / ActionCache / CacheAdmin it was given, and converts
// the answer back; no logic lives here.
#ifndef FARM_CACHE_SERVICE_CACHE_SERVICE_H_
#define FARM_CACHE_SERVICE_CACHE_SERVICE_H_

#include <cstddef>

#include "auth/authenticator.h"
#include "cache/action_cache.h"
#include "cache/blob_store.h"
#include "cache/cache_admin.h"
#include "proto/cache.grpc.pb.h"

namespace farm::cache {

class CacheService final : public proto::CacheService::Service {
 public:
  struct Options {
    // BatchRead inlines a blob only up to this size, and stops inlining
    // once a response holds this many bytes; the rest say use_stream.
    size_t max_batch_bytes = 1 << 20;
    // Bytes per ReadResponse message.
    size_t stream_chunk_bytes = 1 << 20;
  };

  // Nothing is owned. `actions` should check layers (BlobCheckingActionCache)
  // so that remote callers get the same misses as local ones, and keep
  // first results (WriteOnceActionCache) so that no writer replaces one.
  CacheService(BlobStore* blobs, ActionCache* actions, CacheAdmin* admin,
               const auth::Authenticator* authenticator, Options options);
  CacheService(BlobStore* blobs, ActionCache* actions, CacheAdmin* admin,
               const auth::Authenticator* authenticator)
      : CacheService(blobs, actions, admin, authenticator, Options()) {}

  grpc::Status FindMissing(grpc::ServerContext* context,
                           const proto::FindMissingRequest* request,
                           proto::FindMissingResponse* response) override;
  grpc::Status BatchRead(grpc::ServerContext* context,
                         const proto::BatchReadRequest* request,
                         proto::BatchReadResponse* response) override;
  grpc::Status BatchUpdate(grpc::ServerContext* context,
                           const proto::BatchUpdateRequest* request,
                           proto::BatchUpdateResponse* response) override;
  grpc::Status Read(grpc::ServerContext* context,
                    const proto::ReadRequest* request,
                    grpc::ServerWriter<proto::ReadResponse>* writer) override;
  grpc::Status Write(grpc::ServerContext* context,
                     grpc::ServerReader<proto::WriteRequest>* reader,
                     proto::WriteResponse* response) override;
  grpc::Status Stat(grpc::ServerContext* context,
                    const proto::StatRequest* request,
                    proto::StatResponse* response) override;
  grpc::Status Delete(grpc::ServerContext* context,
                      const proto::DeleteRequest* request,
                      proto::DeleteResponse* response) override;
  grpc::Status GetActionResult(grpc::ServerContext* context,
                               const proto::GetActionResultRequest* request,
                               proto::ActionResult* response) override;
  grpc::Status BatchGetActionResults(
      grpc::ServerContext* context,
      const proto::BatchGetActionResultsRequest* request,
      proto::BatchGetActionResultsResponse* response) override;
  grpc::Status UpdateActionResult(
      grpc::ServerContext* context,
      const proto::UpdateActionResultRequest* request,
      proto::UpdateActionResultResponse* response) override;
  grpc::Status Stats(grpc::ServerContext* context,
                     const proto::CacheStatsRequest* request,
                     proto::CacheStats* response) override;
  grpc::Status Prune(grpc::ServerContext* context,
                     const proto::PruneRequest* request,
                     proto::PruneResponse* response) override;
  grpc::Status SetPins(grpc::ServerContext* context,
                       const proto::SetPinsRequest* request,
                       proto::SetPinsResponse* response) override;

 private:
  // One BatchRead entry; `budget` is what the response may still inline.
  void ReadOne(const std::string& text, size_t& budget,
               proto::BatchReadResponse::Entry* entry);

  BlobStore* blobs_;
  ActionCache* actions_;
  CacheAdmin* admin_;
  const auth::Authenticator* authenticator_;
  Options options_;
};

}  // namespace farm::cache

#endif  // FARM_CACHE_SERVICE_CACHE_SERVICE_H_
