// Writing a build context into a directory, so COPY, ADD and RUN bind
// mounts select from it with the same rules the scheduler applied to the
// manifest. The part of the context a stage job reads is job.context, whose
// file contents are CAS blobs.
#ifndef FARM_WORKER_CONTEXT_MATERIALIZER_H_
#define FARM_WORKER_CONTEXT_MATERIALIZER_H_

#include <string>

#include "absl/status/status.h"
#include "cache/blob_store.h"
#include "proto/context.pb.h"

namespace farm::worker {

// Makes `dir` hold exactly the entries of `wanted`, given that it holds
// those of `held` (what an earlier call wrote there; an empty manifest for
// an empty directory): directories, regular files fetched from `blobs` (up
// to `parallelism` at once) and symlinks as stored, each with its mode and
// mtime; owners stay root's (COPY makes context files 0:0 anyway). A file's
// mtime (and atime) is whole seconds, as a layer keeps it.
//
// A regular file is never changed once written: COPY may hard-link it into
// a layer's snapshot, which must not see later contexts. What both
// manifests hold alike stays on disk untouched: a directory (its mode and
// mtime are set in place), a symlink with the same target (its mtime is),
// a file with the same content, mode and mtime that neither manifest
// hard-links. Everything else of `held` is removed (a file is unlinked) and
// everything else of `wanted` written anew.
//
// Nothing is written outside `dir`: an entry path that is absolute, climbs
// with "..", or leads through a file or symlink of the manifest is
// kInvalidArgument, found before anything is touched. A missing blob is
// kNotFound, a corrupt one kDataLoss, each naming the path. After an error
// past validation `dir` holds an unknown mix; the caller discards it.
absl::Status SyncContext(const proto::ContextManifest& held,
                         const proto::ContextManifest& wanted,
                         cache::BlobStore& blobs, const std::string& dir,
                         int parallelism = 4);

// SyncContext into the existing, empty directory `dir`.
absl::Status MaterializeContext(const proto::ContextManifest& manifest,
                                cache::BlobStore& blobs, const std::string& dir,
                                int parallelism = 4);

}  // namespace farm::worker

#endif  // FARM_WORKER_CONTEXT_MATERIALIZER_H_
