// Turning a BuildRequest into what the coordinator needs: the Dockerfile
// parsed and planned (base images resolved through the farm's images), every
// image the plan reads, and the context blobs the planned stages use.
#ifndef FARM_SCHEDULER_BUILD_PREPARATION_H_
#define FARM_SCHEDULER_BUILD_PREPARATION_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cache/blob_store.h"
#include "common/digest.h"
#include "image/fetch/fetch_policy.h"
#include "proto/build.pb.h"
#include "proto/context.pb.h"
#include "scheduler/build_coordinator.h"
#include "scheduler/image_resolver.h"

namespace farm::scheduler {

struct PreparedBuild {
  planner::PlannedBuild plan;
  std::map<std::string, proto::ImageContent> images;
  std::vector<std::string> warnings;
  std::string platform;
};

// Errors: kInvalidArgument "Dockerfile:LINE: ..." for the Dockerfile and
// plan, kNotFound naming an image that is nowhere.
absl::StatusOr<PreparedBuild> PrepareBuild(const proto::BuildRequest& request,
                                           ImageResolver& resolver);

// The digests of the context files the planned stages read (what the
// client may have to upload). Sources that select nothing are skipped here;
// the coordinator reports them with their line.
// `tree` is built from `context`.
struct NeededContext {
  std::vector<Digest> digests;  // in digest order, each once
  int64_t bytes = 0;            // their sizes
};
NeededContext NeededContextBlobs(const planner::PlannedBuild& plan,
                                 const planner::ManifestTree& tree,
                                 const proto::ContextManifest& context);

// The bytes of the context files with these digests (each digest once).
int64_t ContextBytesOf(const proto::ContextManifest& context,
                       const std::vector<Digest>& digests);

// Downloads every `ADD <url>` source of the planned stages into the CAS
// (verifying --checksum) and returns url → content digest, which the keys
// and the jobs use. Errors name the Dockerfile line and the URL.
// Only addresses `policy` allows are reached (null: public ones only).
absl::StatusOr<std::map<std::string, Digest>> FetchUrlSources(
    const planner::PlannedBuild& plan, const std::string& dockerfile_name,
    cache::BlobStore& blobs, const std::string& spool_dir,
    const image::FetchPolicy* policy);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_BUILD_PREPARATION_H_
