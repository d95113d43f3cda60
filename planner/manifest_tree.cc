#include "planner/manifest_tree.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"

namespace farm::planner {

namespace {

dockerfile::SourceStat ImpliedDirectory() {
  dockerfile::SourceStat st;
  st.type = dockerfile::SourceStat::Type::kDirectory;
  st.mode = 0755;
  return st;
}

}  // namespace

ManifestTree::ManifestTree(const proto::ContextManifest& manifest) {
  entries_.reserve(manifest.entries_size());
  children_[""];
  // Paths already listed under their parent.
  absl::flat_hash_set<absl::string_view> listed;
  listed.reserve(manifest.entries_size());
  for (const proto::ContextEntry& entry : manifest.entries()) {
    entries_[entry.path()] = &entry;
    // Register the entry and any implied parents with their parents.
    absl::string_view path = entry.path();
    while (!path.empty() && listed.insert(path).second) {
      size_t slash = path.rfind('/');
      absl::string_view parent =
          slash == absl::string_view::npos ? "" : path.substr(0, slash);
      children_[parent].emplace_back(
          parent.empty() ? path : path.substr(parent.size() + 1));
      path = parent;
    }
    if (entry.type() == proto::ContextEntry::DIRECTORY) children_[entry.path()];
  }
  // Already sorted when every directory is listed before its contents, as
  // clients send them; implied directories may come out of order.
  for (auto& [dir, names] : children_) {
    if (!std::is_sorted(names.begin(), names.end())) {
      std::sort(names.begin(), names.end());
    }
  }
}

const proto::ContextEntry* ManifestTree::Find(const std::string& path) const {
  auto it = entries_.find(path);
  return it == entries_.end() ? nullptr : it->second;
}

absl::StatusOr<dockerfile::SourceStat> ManifestTree::Lstat(
    const std::string& path) const {
  const proto::ContextEntry* entry = Find(path);
  if (entry == nullptr) {
    if (children_.count(path)) return ImpliedDirectory();
    return absl::NotFoundError(absl::StrCat("\"/", path, "\": not found"));
  }
  dockerfile::SourceStat st;
  switch (entry->type()) {
    case proto::ContextEntry::FILE:
      st.type = dockerfile::SourceStat::Type::kFile;
      break;
    case proto::ContextEntry::DIRECTORY:
      st.type = dockerfile::SourceStat::Type::kDirectory;
      break;
    case proto::ContextEntry::SYMLINK:
      st.type = dockerfile::SourceStat::Type::kSymlink;
      break;
    default:
      st.type = dockerfile::SourceStat::Type::kOther;
  }
  st.mode = entry->mode();
  st.uid = entry->uid();
  st.gid = entry->gid();
  st.size = entry->size();
  st.digest = entry->digest();
  st.link_target = entry->link_target();
  st.hardlink_of = entry->hardlink_of();
  return st;
}

absl::StatusOr<std::vector<std::string>> ManifestTree::List(
    const std::string& path) const {
  auto it = children_.find(path);
  if (it == children_.end()) {
    return absl::NotFoundError(
        absl::StrCat("\"/", path, "\": not a directory in the context"));
  }
  return std::vector<std::string>(it->second.begin(), it->second.end());
}

}  // namespace farm::planner
