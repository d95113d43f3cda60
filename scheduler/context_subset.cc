#include "scheduler/context_subset.h"

#include <set>

#include "common/status_macros.h"
#include "dockerfile/source_selector.h"
#include "planner/manifest_tree.h"

namespace farm::scheduler {

namespace {

// Passes calls through to a ManifestTree and remembers every path looked
// at.
class RecordingTree : public dockerfile::SourceTree {
 public:
  explicit RecordingTree(const planner::ManifestTree& tree) : tree_(tree) {}
  absl::StatusOr<dockerfile::SourceStat> Lstat(
      const std::string& path) const override {
    seen_.insert(path);
    return tree_.Lstat(path);
  }
  absl::StatusOr<std::vector<std::string>> List(
      const std::string& path) const override {
    seen_.insert(path);
    return tree_.List(path);
  }
  const std::set<std::string>& seen() const { return seen_; }

 private:
  const planner::ManifestTree& tree_;
  mutable std::set<std::string> seen_;
};

}  // namespace

absl::StatusOr<proto::ContextManifest> ContextSubset(
    const proto::ContextManifest& manifest,
    const std::vector<std::string>& paths) {
  return ContextSubset(planner::ManifestTree(manifest), manifest, paths);
}

absl::StatusOr<proto::ContextManifest> ContextSubset(
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
  proto::ContextManifest subset;
  for (const proto::ContextEntry& entry : manifest.entries()) {
    // Parents of a seen path come along, so the tree keeps its shape.
    bool keep = recording.seen().count(entry.path()) > 0;
    if (!keep && entry.type() == proto::ContextEntry::DIRECTORY) {
      auto it = recording.seen().lower_bound(entry.path() + "/");
      keep = it != recording.seen().end() &&
             it->compare(0, entry.path().size() + 1, entry.path() + "/") == 0;
    }
    if (keep) *subset.add_entries() = entry;
  }
  return subset;
}

}  // namespace farm::scheduler
