// The part of the build context a stage reads: every manifest entry that
// selecting its COPY/ADD sources and bind mounts touches (symlinks on the
// way included), so a worker that materialises only these entries selects
// exactly the same files as the scheduler did when it computed the keys.
#ifndef FARM_SCHEDULER_CONTEXT_SUBSET_H_
#define FARM_SCHEDULER_CONTEXT_SUBSET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "planner/manifest_tree.h"
#include "proto/context.pb.h"

namespace farm::scheduler {

// kNotFound when a path selects nothing (Docker's "\"/x\": not found").
absl::StatusOr<proto::ContextManifest> ContextSubset(
    const proto::ContextManifest& manifest,
    const std::vector<std::string>& paths);

// The same over `tree`, already built from `manifest`: one tree serves many
// calls, which on a context of many files is most of their cost.
absl::StatusOr<proto::ContextManifest> ContextSubset(
    const planner::ManifestTree& tree, const proto::ContextManifest& manifest,
    const std::vector<std::string>& paths);

// The same as pointers into `manifest`, in its order, for callers that only
// read the entries.
absl::StatusOr<std::vector<const proto::ContextEntry*>> ContextSubsetEntries(
    const planner::ManifestTree& tree, const proto::ContextManifest& manifest,
    const std::vector<std::string>& paths);

}  // namespace farm::scheduler

#endif  // FARM_SCHEDULER_CONTEXT_SUBSET_H_
