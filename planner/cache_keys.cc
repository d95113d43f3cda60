#include "planner/cache_keys.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dockerfile/dockerignore.h"
#include "dockerfile/source_selector.h"

namespace farm::planner {

namespace {

// Every key starts with this, so a change of scheme invalidates old keys.
constexpr absl::string_view kScheme = "farm-cache-key-v1";

// Fields are length-prefixed so no two field lists hash alike.
void Field(Sha256Hasher& hasher, absl::string_view value) {
  std::string length = absl::StrCat(value.size(), ":");
  hasher.Update(length);
  hasher.Update(value);
}

bool IsUrl(absl::string_view path) {
  return absl::StartsWith(path, "http://") ||
         absl::StartsWith(path, "https://") || absl::StartsWith(path, "git@");
}

const char* TypeName(dockerfile::SourceStat::Type type) {
  switch (type) {
    case dockerfile::SourceStat::Type::kFile:
      return "file";
    case dockerfile::SourceStat::Type::kDirectory:
      return "dir";
    case dockerfile::SourceStat::Type::kSymlink:
      return "symlink";
    default:
      return "other";
  }
}

}  // namespace

Digest ScratchKey(const std::string& platform) {
  Sha256Hasher hasher;
  Field(hasher, kScheme);
  Field(hasher, "from-scratch");
  Field(hasher, platform);
  return hasher.Finish();
}

Digest ImageBaseKey(const std::string& manifest_digest,
                    const std::string& platform) {
  Sha256Hasher hasher;
  Field(hasher, kScheme);
  Field(hasher, "from-image");
  Field(hasher, manifest_digest);
  Field(hasher, platform);
  return hasher.Finish();
}

Digest NamespacedKey(const std::string& cache_namespace, const Digest& base) {
  if (cache_namespace.empty()) return base;
  Sha256Hasher hasher;
  Field(hasher, kScheme);
  Field(hasher, "namespace");
  Field(hasher, cache_namespace);
  Field(hasher, base.ToString());
  return hasher.Finish();
}

Digest InstructionKey(const Digest& previous,
                      const proto::PlannedInstruction& instruction,
                      const std::vector<Digest>& sources) {
  Sha256Hasher hasher;
  Field(hasher, kScheme);
  Field(hasher, previous.ToString());
  Field(hasher, instruction.text());
  // Proto maps iterate in no fixed order; sort the build args.
  std::vector<std::pair<std::string, std::string>> args(
      instruction.build_args().begin(), instruction.build_args().end());
  std::sort(args.begin(), args.end());
  Field(hasher, absl::StrCat(args.size()));
  for (const auto& [name, value] : args) {
    Field(hasher, name);
    Field(hasher, value);
  }
  Field(hasher, absl::StrCat(sources.size()));
  for (const Digest& source : sources) Field(hasher, source.ToString());
  return hasher.Finish();
}

absl::StatusOr<Digest> SourcesDigest(const dockerfile::SourceTree& tree,
                                     const std::vector<std::string>& paths,
                                     const std::vector<std::string>& excludes) {
  ASSIGN_OR_RETURN(dockerfile::Selection selection,
                   dockerfile::SelectSources(tree, paths));
  std::optional<dockerfile::IgnoreMatcher> exclude;
  if (!excludes.empty()) {
    ASSIGN_OR_RETURN(exclude,
                     dockerfile::IgnoreMatcher::FromPatterns(excludes));
  }
  Sha256Hasher hasher;
  Field(hasher, kScheme);
  Field(hasher, "sources");
  for (const dockerfile::SelectedSource& source : selection.sources) {
    Field(hasher, "source");
    Field(hasher, source.name);
    Field(hasher, source.path);
    RETURN_IF_ERROR(dockerfile::WalkSource(
        tree, source,
        [&](const std::string& rel,
            const dockerfile::SourceStat& st) -> absl::Status {
          if (exclude.has_value() && !rel.empty() && exclude->Matches(rel)) {
            return absl::OkStatus();
          }
          Field(hasher, rel);
          Field(hasher, TypeName(st.type));
          Field(hasher, absl::StrCat(st.mode, ":", st.uid, ":", st.gid));
          Field(hasher, st.type == dockerfile::SourceStat::Type::kFile
                            ? st.digest
                            : "");
          Field(hasher, st.link_target);
          Field(hasher, st.hardlink_of);
          return absl::OkStatus();
        }));
  }
  return hasher.Finish();
}

Digest LayersDigest(const std::vector<std::string>& diff_ids) {
  Sha256Hasher hasher;
  Field(hasher, kScheme);
  Field(hasher, "layers");
  for (const std::string& id : diff_ids) Field(hasher, id);
  return hasher.Finish();
}

std::vector<std::string> ContextPaths(
    const dockerfile::Instruction& instruction) {
  std::vector<std::string> out;
  if (const auto* copy = instruction.As<dockerfile::CopyInstruction>()) {
    if (copy->from.empty()) out = copy->files.paths;
  } else if (const auto* add = instruction.As<dockerfile::AddInstruction>()) {
    for (const std::string& path : add->files.paths) {
      if (!IsUrl(path)) out.push_back(path);
    }
  } else if (const auto* run = instruction.As<dockerfile::RunInstruction>()) {
    for (const dockerfile::Mount& mount : run->mounts) {
      if (mount.type == "bind" && mount.from.empty()) {
        out.push_back(mount.source.empty() ? "." : mount.source);
      }
    }
  }
  return out;
}

}  // namespace farm::planner
