// Docker's rules for the sources of COPY and ADD (and RUN bind mounts): a
// source is cleaned against the tree's root, so ".." never climbs out;
// wildcards (filepath.Match syntax, per path component) expand to the
// sorted matches; a symlink named as a source is followed inside the tree;
// a directory stands for its contents.
#ifndef FARM_DOCKERFILE_SOURCE_SELECTOR_H_
#define FARM_DOCKERFILE_SOURCE_SELECTOR_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dockerfile/source_tree.h"

namespace farm::dockerfile {

struct SelectedSource {
  // Where the content is read: the match with symlinks resolved ("" is the
  // root).
  std::string path;
  // The name the source goes by at the destination: the last component of
  // the match before any symlink was followed.
  std::string name;
  SourceStat stat;  // of `path`; never a symlink
};

struct Selection {
  std::vector<SelectedSource> sources;
  // Several sources or a wildcard: the destination must be a directory.
  bool many = false;
};

// Resolves `paths` (as written in the instruction) in `tree`. kNotFound
// "\"/x\": not found" (the path as Docker prints it) when a path is
// missing, or a wildcard matches nothing and the directories before it do
// not exist (a wildcard in an existing directory may match nothing, as in
// BuildKit); kInvalidArgument for a malformed pattern or a symlink loop.
absl::StatusOr<Selection> SelectSources(const SourceTree& tree,
                                        const std::vector<std::string>& paths);

// Resolves one path, following every symlink on the way (the last one too
// when `follow_last`), never leaving the root. Returns the resolved clean
// path; kNotFound if a component is missing.
absl::StatusOr<std::string> ResolveInTree(const SourceTree& tree,
                                          const std::string& path,
                                          bool follow_last);

// Calls `visit` for the selected source itself (relative path "") and, for a
// directory, for everything below it in sorted depth-first order, relative
// to the source. Symlinks below the source are reported, not followed.
// Stops at the first error `visit` returns.
absl::Status WalkSource(
    const SourceTree& tree, const SelectedSource& source,
    const std::function<absl::Status(const std::string& relative,
                                     const SourceStat& stat)>& visit);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_SOURCE_SELECTOR_H_
