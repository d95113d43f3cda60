#include "worker/fileops/destination.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "worker/fileops/rel_path.h"

namespace farm::fileops {
Destination Destination::FromInstruction(absl::string_view dest,
                                         absl::string_view workdir) {
  Destination d;
  // BuildKit keeps an absolute destination as written ("/a/b/." stays), and
  // joins a relative one to the WORKDIR with path.Join, which cleans it.
  d.path = absl::StartsWith(dest, "/")
               ? std::string(dest)
               : CleanPath(absl::StrCat("/", workdir, "/", dest));
  d.dir_hint = dest == "." || absl::EndsWith(dest, "/");
  while (d.path.size() > 1 && absl::EndsWith(d.path, "/")) d.path.pop_back();
  return d;
}

absl::StatusOr<std::string> PrepareTarget(const RootFs& root,
                                          const Destination& dest,
                                          bool source_is_dir,
                                          const std::string& name,
                                          std::optional<Owner> owner) {
  // The directory to make first: the destination itself when it is marked
  // as one (trailing "/", or a last element of "."), else its parent.
  std::string last = BaseName(dest.path);
  bool whole = dest.dir_hint || last == "." || dest.path == "/";
  std::string ensure = whole ? dest.path : DirName(dest.path);
  ASSIGN_OR_RETURN(std::string ensure_rel, root.Resolve(ensure, true));
  RETURN_IF_ERROR(root.MkdirAll(ensure_rel, owner));

  ASSIGN_OR_RETURN(std::string target,
                   root.Resolve(CleanPath(dest.path), true));
  ASSIGN_OR_RETURN(std::optional<struct stat> st, root.Lstat(target));
  if (!source_is_dir && st.has_value() && S_ISDIR(st->st_mode)) {
    target = RelJoin(target, name);
  }
  std::string holder =
      source_is_dir && !st.has_value() ? target : RelParent(target);
  RETURN_IF_ERROR(root.MkdirAll(holder, owner));
  return target;
}

absl::StatusOr<std::string> PrepareDirectory(const RootFs& root,
                                             const Destination& dest,
                                             std::optional<Owner> owner) {
  ASSIGN_OR_RETURN(std::string dir, root.Resolve(dest.path, true));
  RETURN_IF_ERROR(root.MkdirAll(dir, owner));
  return dir;
}

}  // namespace farm::fileops
