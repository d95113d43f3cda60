#include "worker/source_trees.h"

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "planner/source_key.h"
#include "worker/context_materializer.h"
#include "worker/job_plan.h"

namespace farm::worker {

absl::StatusOr<const fileops::DirectoryTree*> SourceTrees::Context() {
  if (!context_.has_value()) {
    std::string dir;
    if (mirrors_ != nullptr) {
      ASSIGN_OR_RETURN(context_lease_,
                       mirrors_->Acquire(job_.context(), *blobs_));
      dir = context_lease_->dir();
    } else {
      dir = JoinPath(scratch_dir_, "context");
      RETURN_IF_ERROR(MakeDirs(dir, 0755));
      RETURN_IF_ERROR(MaterializeContext(job_.context(), *blobs_, dir));
    }
    ASSIGN_OR_RETURN(fileops::DirectoryTree tree,
                     fileops::DirectoryTree::Open(dir));
    context_.emplace(std::move(tree));
  }
  return &*context_;
}

absl::StatusOr<const fileops::DirectoryTree*> SourceTrees::Source(
    const proto::StageRef& ref) {
  const std::string key = planner::SourceKey(ref);
  auto it = sources_.find(key);
  if (it == sources_.end()) {
    auto context = [&](const absl::Status& status) {
      return Annotate(status, absl::StrCat("mounting ", key));
    };
    absl::StatusOr<std::vector<proto::LayerRef>> layers =
        SourceLayers(job_, ref);
    if (!layers.ok()) return context(layers.status());
    Mounted mounted;
    absl::StatusOr<std::unique_ptr<snapshot::Workspace>> workspace =
        snapshots_->Mount(*layers);
    if (!workspace.ok()) return context(workspace.status());
    mounted.workspace = *std::move(workspace);
    absl::StatusOr<fileops::DirectoryTree> tree =
        fileops::DirectoryTree::Open(mounted.workspace->rootfs());
    if (!tree.ok()) return context(tree.status());
    mounted.tree.emplace(*std::move(tree));
    it = sources_.emplace(key, std::move(mounted)).first;
  }
  return &*it->second.tree;
}

}  // namespace farm::worker
