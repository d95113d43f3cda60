#include "scheduler/context_subset.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

#include "common/status_macros.h"
#include "dockerfile/source_selector.h"
#include "planner/manifest_tree.h"

namespace farm::scheduler {

namespace {

// Passes calls through to a ManifestTree and remembers every path looked
// at, and the directories above it.
class RecordingTree : public dockerfile::SourceTree {
 public:
  explicit RecordingTree(const planner::ManifestTree& tree) : tree_(tree) {}
  absl::StatusOr<dockerfile::SourceStat> Lstat(
      const std::string& path) const override {
    See(path);
    return tree_.Lstat(path);
  }
  absl::StatusOr<std::vector<std::string>> List(
      const std::string& path) const override {
    See(path);
    return tree_.List(path);
  }
  bool Seen(const std::string& path) const { return seen_.contains(path); }

 private:
  void See(absl::string_view path) const {
    while (!path.empty() && seen_.insert(std::string(path)).second) {
      size_t slash = path.rfind('/');
      path = path.substr(0, slash == absl::string_view::npos ? 0 : slash);
    }
  }

  const planner::ManifestTree& tree_;
  mutable absl::flat_hash_set<std::string> seen_;
};

}  // namespace

absl::StatusOr<proto::ContextManifest> ContextSubset(
    const proto::ContextManifest& manifest,
    const std::vector<std::string>& paths) {
  return ContextSubset(planner::ManifestTree(manifest), manifest, paths);
}

absl::StatusOr<std::vector<const proto::ContextEntry*>> ContextSubsetEntries(
    const planner::ManifestTree& tree, const proto::ContextManifest& manifest,
    const std::vector<std::string>& paths) {
  RecordingTree recording(tree);
  for (const std::string& path : paths) {
    ASSIGN_OR_RETURN(dockerfile::Selection selection,
                     dockerfile::SelectSources(recording, {path}));
    for (const dockerfile::SelectedSource& source : selection.sources) {
      RETURN_IF_ERROR(dockerfile::WalkSource(
          recording, source,
          [](const std::string&, const dockerfile::SourceStat&) {
            return absl::OkStatus();
          }));
    }
  }
  // Parents of a seen path were seen too, so the tree keeps its shape.
  std::vector<const proto::ContextEntry*> subset;
  for (const proto::ContextEntry& entry : manifest.entries()) {
    if (recording.Seen(entry.path())) subset.push_back(&entry);
  }
  return subset;
}

absl::StatusOr<proto::ContextManifest> ContextSubset(
    const planner::ManifestTree& tree, const proto::ContextManifest& manifest,
    const std::vector<std::string>& paths) {
  ASSIGN_OR_RETURN(std::vector<const proto::ContextEntry*> entries,
                   ContextSubsetEntries(tree, manifest, paths));
  proto::ContextManifest subset;
  subset.mutable_entries()->Reserve(entries.size());
  for (const proto::ContextEntry* entry : entries) {
    *subset.add_entries() = *entry;
  }
  return subset;
}

}  // namespace farm::scheduler
