#include "dockerfile/source_selector.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "dockerfile/glob.h"

namespace farm::dockerfile {

namespace {

constexpr int kMaxSymlinkHops = 40;

bool HasWildcard(absl::string_view s) {
  return s.find_first_of("*?[\\") != absl::string_view::npos;
}

// Compiles one path component with filepath.Match syntax.
absl::StatusOr<Glob> CompileComponent(absl::string_view pattern) {
  Glob glob;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) glob.AddLiteral(literal);
    literal.clear();
  };
  for (size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    if (c == '*') {
      flush();
      glob.AddStar('/');
      ++i;
    } else if (c == '?') {
      flush();
      glob.AddOne('/');
      ++i;
    } else if (c == '[') {
      flush();
      CharClass cls;
      ASSIGN_OR_RETURN(i, ParseCharClass(pattern, i, false, &cls));
      glob.AddClass(std::move(cls));
    } else if (c == '\\') {
      if (i + 1 >= pattern.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("syntax error in pattern \"", pattern, "\""));
      }
      literal.push_back(pattern[i + 1]);
      i += 2;
    } else {
      literal.push_back(c);
      ++i;
    }
  }
  flush();
  return glob;
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : absl::StrCat(dir, "/", name);
}

// A cleaned, root-relative form of a source as written: "/a/../b" → "b".
std::string RootRelative(absl::string_view path) {
  std::string clean = CleanPath(absl::StrCat("/", path));
  return clean == "/" ? "" : clean.substr(1);
}

absl::Status NotFound(absl::string_view written) {
  return absl::NotFoundError(
      absl::StrCat("\"/", RootRelative(written), "\": not found"));
}

absl::Status AddMatch(const SourceTree& tree, const std::string& match,
                      std::vector<SelectedSource>& out) {
  ASSIGN_OR_RETURN(std::string resolved, ResolveInTree(tree, match, true));
  SelectedSource source;
  source.path = resolved;
  source.name = match.empty() ? "" : BaseName(match);
  ASSIGN_OR_RETURN(source.stat, tree.Lstat(resolved));
  out.push_back(std::move(source));
  return absl::OkStatus();
}

// Expands a wildcard source, one component at a time.
absl::Status ExpandWildcard(const SourceTree& tree, const std::string& rel,
                            std::vector<SelectedSource>& out) {
  std::vector<std::string> current = {""};
  std::vector<std::string> parts = absl::StrSplit(rel, '/');
  for (size_t i = 0; i < parts.size(); ++i) {
    std::vector<std::string> next;
    bool last = i + 1 == parts.size();
    if (!HasWildcard(parts[i])) {
      for (const std::string& dir : current) {
        std::string candidate = Join(dir, parts[i]);
        if (tree.Lstat(candidate).ok()) next.push_back(candidate);
      }
    } else {
      ASSIGN_OR_RETURN(Glob glob, CompileComponent(parts[i]));
      for (const std::string& dir : current) {
        absl::StatusOr<std::string> real = ResolveInTree(tree, dir, true);
        if (!real.ok()) continue;
        absl::StatusOr<std::vector<std::string>> names = tree.List(*real);
        if (!names.ok()) continue;  // not a directory
        for (const std::string& name : *names) {
          if (glob.FullMatch(name)) next.push_back(Join(dir, name));
        }
      }
    }
    if (!last) {
      // Intermediate matches must be directories (through symlinks).
      std::vector<std::string> dirs;
      for (const std::string& path : next) {
        absl::StatusOr<std::string> real = ResolveInTree(tree, path, true);
        if (!real.ok()) continue;
        absl::StatusOr<SourceStat> st = tree.Lstat(*real);
        if (st.ok() && st->type == SourceStat::Type::kDirectory) {
          dirs.push_back(path);
        }
      }
      next = std::move(dirs);
    }
    current = std::move(next);
  }
  if (current.empty()) {
    // As BuildKit allows, a wildcard may match nothing, provided the
    // directories before its first wildcard exist.
    std::string prefix;
    for (const std::string& part : parts) {
      if (HasWildcard(part)) break;
      prefix = Join(prefix, part);
    }
    absl::StatusOr<std::string> dir = ResolveInTree(tree, prefix, true);
    if (!dir.ok()) return NotFound(rel);
    absl::StatusOr<SourceStat> st = tree.Lstat(*dir);
    if (!st.ok() || st->type != SourceStat::Type::kDirectory) {
      return NotFound(rel);
    }
    return absl::OkStatus();
  }
  for (const std::string& match : current) {
    RETURN_IF_ERROR(AddMatch(tree, match, out));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ResolveInTree(const SourceTree& tree,
                                          const std::string& path,
                                          bool follow_last) {
  std::vector<std::string> pending;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    pending.emplace_back(part);
  }
  std::reverse(pending.begin(), pending.end());
  std::vector<std::string> done;  // resolved components so far
  int hops = 0;
  while (!pending.empty()) {
    std::string part = pending.back();
    pending.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string candidate = Join(absl::StrJoin(done, "/"), part);
    ASSIGN_OR_RETURN(SourceStat st, tree.Lstat(candidate));
    bool last = pending.empty();
    if (st.type != SourceStat::Type::kSymlink || (last && !follow_last)) {
      done.push_back(part);
      continue;
    }
    if (++hops > kMaxSymlinkHops) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"/", path, "\": too many levels of symbolic links"));
    }
    // The link's target replaces it: absolute targets start at the root.
    if (!st.link_target.empty() && st.link_target[0] == '/') done.clear();
    std::vector<std::string> target;
    for (absl::string_view t :
         absl::StrSplit(st.link_target, '/', absl::SkipEmpty())) {
      target.emplace_back(t);
    }
    for (auto it = target.rbegin(); it != target.rend(); ++it) {
      pending.push_back(*it);
    }
  }
  return absl::StrJoin(done, "/");
}

absl::StatusOr<Selection> SelectSources(
    const SourceTree& tree, const std::vector<std::string>& paths) {
  Selection selection;
  selection.many = paths.size() > 1;
  for (const std::string& written : paths) {
    std::string rel = RootRelative(written);
    if (HasWildcard(rel)) {
      selection.many = true;
      RETURN_IF_ERROR(ExpandWildcard(tree, rel, selection.sources));
      continue;
    }
    absl::Status s = AddMatch(tree, rel, selection.sources);
    if (absl::IsNotFound(s)) return NotFound(written);
    RETURN_IF_ERROR(s);
  }
  return selection;
}

namespace {
absl::Status WalkBelow(
    const SourceTree& tree, const std::string& dir, const std::string& rel,
    const std::function<absl::Status(const std::string&, const SourceStat&)>&
        visit) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, tree.List(dir));
  for (const std::string& name : names) {
    std::string path = Join(dir, name);
    std::string child_rel = Join(rel, name);
    ASSIGN_OR_RETURN(SourceStat st, tree.Lstat(path));
    RETURN_IF_ERROR(visit(child_rel, st));
    if (st.type == SourceStat::Type::kDirectory) {
      RETURN_IF_ERROR(WalkBelow(tree, path, child_rel, visit));
    }
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status WalkSource(
    const SourceTree& tree, const SelectedSource& source,
    const std::function<absl::Status(const std::string& relative,
                                     const SourceStat& stat)>& visit) {
  RETURN_IF_ERROR(visit("", source.stat));
  if (source.stat.type != SourceStat::Type::kDirectory) {
    return absl::OkStatus();
  }
  return WalkBelow(tree, source.path, "", visit);
}

}  // namespace farm::dockerfile
