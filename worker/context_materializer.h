// MaterializeContext: writes the part of the build context a stage job
// reads (job.context, whose file contents are CAS blobs) into a directory,
// so COPY, ADD and RUN bind mounts select from it with the same rules the
// scheduler applied to the manifest.
#ifndef FARM_WORKER_CONTEXT_MATERIALIZER_H_
#define FARM_WORKER_CONTEXT_MATERIALIZER_H_

#include <string>

#include "absl/status/status.h"
#include "cache/blob_store.h"
#include "proto/context.pb.h"

namespace farm::worker {

// Creates every entry of `manifest` under the existing, empty directory
// `dir`: directories, regular files fetched from `blobs` (up to
// `parallelism` at once) and symlinks as stored, each with its mode and
// mtime; owners stay root's (COPY makes context files 0:0 anyway). Nothing
// is written outside `dir`: an entry path that is absolute, climbs with
// "..", or leads through a file or symlink of the manifest is
// kInvalidArgument. A missing blob is kNotFound, a corrupt one kDataLoss,
// each naming the path.
absl::Status MaterializeContext(const proto::ContextManifest& manifest,
                                cache::BlobStore& blobs, const std::string& dir,
                                int parallelism = 4);

}  // namespace farm::worker

#endif  // FARM_WORKER_CONTEXT_MATERIALIZER_H_
