#include "dockerfile/dockerignore.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

// ignorefile.ReadAll for one line: "" when the line holds no pattern.
std::string ReadLine(absl::string_view line) {
  if (absl::StartsWith(line, "#")) return "";  // only before trimming
  line = TrimGoSpace(line);
  if (line.empty()) return "";
  const bool exception = line[0] == '!';
  if (exception) line = TrimGoSpace(line.substr(1));
  std::string pattern(line);
  if (!pattern.empty()) {
    pattern = CleanPath(pattern);
    if (pattern.size() > 1 && pattern[0] == '/') pattern.erase(0, 1);
  }
  return exception ? absl::StrCat("!", pattern) : pattern;
}

// A path relative to the context, cleaned; "" for the context root.
std::string CleanRelative(absl::string_view rel_path) {
  std::string path = CleanPath(rel_path);
  if (!path.empty() && path[0] == '/') path.erase(0, 1);
  return path == "." ? "" : path;
}

}  // namespace

absl::StatusOr<IgnoreMatcher> IgnoreMatcher::Parse(absl::string_view content,
                                                   absl::string_view source) {
  IgnoreMatcher matcher;
  matcher.source_ = std::string(source);
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_number;
    if (line_number == 1) absl::ConsumePrefix(&line, kUtf8Bom);
    absl::ConsumeSuffix(&line, "\r");
    const std::string pattern = ReadLine(line);
    if (pattern.empty()) continue;
    RETURN_IF_ERROR(
        matcher.Add(pattern, absl::StrCat(source, ":", line_number)));
  }
  return matcher;
}

absl::StatusOr<IgnoreMatcher> IgnoreMatcher::FromPatterns(
    const std::vector<std::string>& patterns) {
  IgnoreMatcher matcher;
  for (size_t i = 0; i < patterns.size(); ++i) {
    RETURN_IF_ERROR(matcher.Add(patterns[i], absl::StrCat("pattern ", i + 1)));
  }
  return matcher;
}

absl::Status IgnoreMatcher::Add(absl::string_view raw,
                                absl::string_view where) {
  const absl::string_view trimmed = TrimGoSpace(raw);
  if (trimmed.empty()) return absl::OkStatus();
  std::string pattern = CleanPath(trimmed);
  const bool exception = pattern[0] == '!';
  if (exception) {
    if (pattern.size() == 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": illegal exclusion pattern: \"!\""));
    }
    pattern.erase(0, 1);
  }
  absl::StatusOr<IgnorePattern> compiled =
      IgnorePattern::Compile(std::move(pattern), exception);
  if (!compiled.ok()) return Annotate(compiled.status(), where);
  patterns_.push_back(*std::move(compiled));
  return absl::OkStatus();
}

int IgnoreMatcher::LastMatch(absl::string_view path) const {
  // Evaluating forwards, as patternmatcher does, ends in the state set by
  // the last matching pattern, so search from the end.
  for (int i = static_cast<int>(patterns_.size()) - 1; i >= 0; --i) {
    if (patterns_[i].MatchesOrParent(path)) return i;
  }
  return -1;
}

bool IgnoreMatcher::Matches(absl::string_view rel_path) const {
  if (patterns_.empty()) return false;  // the common case, asked per file
  const std::string path = CleanRelative(rel_path);
  if (path.empty()) return false;
  const int last = LastMatch(path);
  return last >= 0 && !patterns_[last].exclusion();
}

bool IgnoreMatcher::CanSkipDir(absl::string_view rel_dir) const {
  const std::string dir = CleanRelative(rel_dir);
  if (dir.empty()) return false;
  const int last = LastMatch(dir);
  if (last < 0 || patterns_[last].exclusion()) return false;
  // Every pattern up to `last` that matches the directory also matches all
  // below it, so only a later exception can change a result down there.
  for (size_t i = last + 1; i < patterns_.size(); ++i) {
    if (patterns_[i].exclusion() && patterns_[i].CouldMatchBelow(dir)) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> IgnoreMatcher::patterns() const {
  std::vector<std::string> out;
  out.reserve(patterns_.size());
  for (const IgnorePattern& p : patterns_) {
    out.push_back(absl::StrCat(p.exclusion() ? "!" : "", p.text()));
  }
  return out;
}

absl::StatusOr<IgnoreMatcher> LoadIgnoreFile(
    const std::string& context_dir, const std::string& dockerfile_path) {
  const std::string dockerfile = dockerfile_path.empty()
                                     ? JoinPath(context_dir, "Dockerfile")
                                     : dockerfile_path;
  for (const std::string& candidate :
       {absl::StrCat(dockerfile, ".dockerignore"),
        JoinPath(context_dir, ".dockerignore")}) {
    absl::StatusOr<std::string> content = ReadFile(candidate);
    if (absl::IsNotFound(content.status())) continue;
    if (!content.ok()) return content.status();  // names the file already
    return IgnoreMatcher::Parse(*content, candidate);
  }
  return IgnoreMatcher();
}

}  // namespace farm::dockerfile
