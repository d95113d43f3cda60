// IgnoreMatcher: the .dockerignore rules of a build context, read and
// applied with docker build's exact semantics (moby/patternmatcher's
// ignorefile.ReadAll and MatchesOrParentMatches), so farm uploads, hashes
// and COPYs the same files Docker would.
//
// The Dockerfile and the ignore file themselves: like docker build, farm
// reads both straight from disk (LoadIgnoreFile, the client's Dockerfile
// reader), so excluding them never hides them from the build. The matcher
// does not special-case them, so an excluded Dockerfile or .dockerignore is
// left out of the context and COPY . does not see it, as with Docker.
#ifndef FARM_DOCKERFILE_DOCKERIGNORE_H_
#define FARM_DOCKERFILE_DOCKERIGNORE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dockerfile/dockerignore_pattern.h"

namespace farm::dockerfile {

class IgnoreMatcher {
 public:
  // Ignores nothing.
  IgnoreMatcher() = default;

  // Reads the content of an ignore file: one pattern per line; a line that
  // starts with '#' is a comment; surrounding whitespace is trimmed and
  // blank lines skipped; a leading '!' makes an exception; each pattern is
  // cleaned like filepath.Clean, and a leading "/" or "./" is dropped.
  // kInvalidArgument "<source>:<line>: ..." for a lone "!" or a malformed
  // pattern. `source` names the file in messages and in source().
  static absl::StatusOr<IgnoreMatcher> Parse(
      absl::string_view content, absl::string_view source = ".dockerignore");

  // Builds from patterns already split into a list (COPY --exclude):
  // trimmed and cleaned, '!' still marks exceptions. kInvalidArgument
  // naming the pattern's position for a lone "!" or a malformed pattern.
  static absl::StatusOr<IgnoreMatcher> FromPatterns(
      const std::vector<std::string>& patterns);

  // True when `rel_path` (relative to the context, '/'-separated; cleaned
  // first) is excluded: the last pattern that matches it or one of its
  // parent directories is not an exception. The context root itself ("."
  // or "") is never excluded.
  bool Matches(absl::string_view rel_path) const;

  // True only when directory `rel_dir` is excluded and no exception could
  // re-include anything below it, so a context walker may skip the whole
  // subtree without changing which files it finds. May be false for a
  // directory whose contents all turn out excluded; never true otherwise.
  bool CanSkipDir(absl::string_view rel_dir) const;

  bool empty() const { return patterns_.empty(); }
  // The active patterns as Docker lists them ("!" prefix on exceptions).
  std::vector<std::string> patterns() const;
  // Where the rules came from: the `source` given to Parse, the file
  // LoadIgnoreFile read, or "" when there was none.
  const std::string& source() const { return source_; }

 private:
  // Adds one raw pattern as patternmatcher.New does; `where` prefixes
  // error messages.
  absl::Status Add(absl::string_view raw, absl::string_view where);
  // Index of the last pattern matching `path` or a parent, or -1.
  int LastMatch(absl::string_view path) const;

  std::vector<IgnorePattern> patterns_;
  std::string source_;
};

// Loads the ignore rules of a build: `<dockerfile_path>.dockerignore` (for
// example build.Dockerfile.dockerignore next to build.Dockerfile) when that
// file exists, else `<context_dir>/.dockerignore`, else no rules. An empty
// `dockerfile_path` means `<context_dir>/Dockerfile`. Errors: read failures
// other than a missing file, and Parse's kInvalidArgument, both naming the
// file.
absl::StatusOr<IgnoreMatcher> LoadIgnoreFile(
    const std::string& context_dir, const std::string& dockerfile_path);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_DOCKERIGNORE_H_
