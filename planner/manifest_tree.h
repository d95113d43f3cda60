// ManifestTree: the build context as the scheduler knows it, a client's
// ContextManifest, seen as a SourceTree so COPY sources can be selected and
// hashed before any file reaches a worker.
#ifndef FARM_PLANNER_MANIFEST_TREE_H_
#define FARM_PLANNER_MANIFEST_TREE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

#include "dockerfile/source_tree.h"
#include "proto/context.pb.h"

namespace farm::planner {

class ManifestTree : public dockerfile::SourceTree {
 public:
  // Keeps a pointer to `manifest`, which must outlive the tree. Parent
  // directories missing from the manifest are implied (mode 0755, 0:0).
  explicit ManifestTree(const proto::ContextManifest& manifest);

  absl::StatusOr<dockerfile::SourceStat> Lstat(
      const std::string& path) const override;
  absl::StatusOr<std::vector<std::string>> List(
      const std::string& path) const override;

  // The manifest entry at `path`, or null (the root and implied
  // directories have none).
  const proto::ContextEntry* Find(const std::string& path) const;

 private:
  // Hash maps, keyed by the manifest's own path strings where it has them:
  // a context can hold hundreds of thousands of entries.
  absl::flat_hash_map<absl::string_view, const proto::ContextEntry*> entries_;
  // Every directory, implied ones included, to its children's names; all
  // views into the manifest's paths.
  absl::flat_hash_map<absl::string_view, std::vector<absl::string_view>>
      children_;
};

}  // namespace farm::planner

#endif  // FARM_PLANNER_MANIFEST_TREE_H_
