#include "worker/fileops/file_op.h"

#include <fcntl.h>

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "dockerfile/dockerignore.h"
#include "dockerfile/source_selector.h"
#include "worker/fileops/archive.h"
#include "worker/fileops/chown_spec.h"
#include "worker/fileops/destination.h"
#include "worker/fileops/new_file.h"
#include "worker/fileops/tree_copier.h"
#include "image/fetch/url_fetch.h"

namespace farm::fileops {
namespace {

using dockerfile::SelectedSource;
using dockerfile::Selection;
using dockerfile::SourceStat;

bool HasWildcard(absl::string_view s) {
  return s.find_first_of("*?[\\") != absl::string_view::npos;
}

// "a/../b/./c" → "b/c"; "" for the root.
std::string TreeRelative(absl::string_view path) {
  std::string clean = CleanPath(absl::StrCat("/", path));
  return clean == "/" ? "" : clean.substr(1);
}

class Runner {
 public:
  Runner(const FileOp& op, const DirectoryTree* tree, const RootFs& root,
         const Clock& clock)
      : op_(op),
        tree_(tree),
        root_(root),
        clock_(clock),
        dest_(Destination::FromInstruction(op.dest, op.workdir)) {}

  absl::Status Init() {
    for (const std::string& src : op_.sources) {
      if (image::IsGitSource(src) || op_.keep_git_dir) {
        return absl::UnimplementedError(absl::StrCat(
            op_.keyword, " ", src, ": git sources are not supported"));
      }
      if (image::IsUrl(src) && !op_.is_add()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "COPY ", src, ": a source can't be a URL for COPY; use ADD"));
      }
      if (!image::IsUrl(src) && !op_.checksum.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(op_.keyword, " ", src,
                         ": --checksum can only be used with HTTP(S) sources"));
      }
    }
    absl::Status s = ParseFlags();
    return Annotate(s, op_.keyword);
  }

  absl::Status ParseFlags() {
    ASSIGN_OR_RETURN(chmod_, ParseChmod(op_.chmod));
    if (!op_.chown.empty()) {
      ASSIGN_OR_RETURN(Owner owner, ResolveChown(root_, op_.chown));
      chown_ = owner;
    }
    if (!op_.excludes.empty()) {
      ASSIGN_OR_RETURN(excludes_,
                       dockerfile::IgnoreMatcher::FromPatterns(op_.excludes));
    }
    return absl::OkStatus();
  }

  absl::Status Source(const std::string& src) {
    absl::Status s = image::IsUrl(src) ? Url(src) : Local(src);
    return Annotate(s, absl::StrCat(op_.keyword, " ", src));
  }

  absl::Status Heredoc(const dockerfile::InlineFile& file) {
    ASSIGN_OR_RETURN(std::string target,
                     PrepareTarget(root_, dest_, false, file.name, chown_));
    StringReader content(file.data);
    NewFileMeta meta{0644, chmod_, chown_.value_or(Owner{}), clock_.Now()};
    RETURN_IF_ERROR(WriteNewFile(root_, target, content, meta));
    ++entries_;
    return absl::OkStatus();
  }

  int64_t entries() const { return entries_; }
  int64_t linked() const { return linked_; }

 private:
  // Owner of what comes from the tree, and of directories made for it.
  std::optional<Owner> TreeOwner() const {
    return chown_.has_value() ? chown_ : op_.default_owner;
  }

  CopyAttrs Attrs() {
    CopyAttrs attrs;
    attrs.owner = TreeOwner();
    attrs.chmod = chmod_;
    attrs.excludes = excludes_.empty() ? nullptr : &excludes_;
    attrs.link = op_.link;
    if (attrs.link.has_value()) attrs.link->claimed = &linked_inodes_;
    return attrs;
  }

  absl::Status Local(const std::string& src) {
    if (tree_ == nullptr) {
      return absl::FailedPreconditionError("no source tree to copy from");
    }
    if (op_.parents) return Parents(src);
    ASSIGN_OR_RETURN(Selection selection, Select(src));
    TreeCopier copier(*tree_, root_, Attrs());
    bool wildcard = HasWildcard(src);
    for (const SelectedSource& source : selection.sources) {
      // A wildcard's matches are filtered by --exclude too, by name.
      if (wildcard && !excludes_.empty() && excludes_.Matches(source.name)) {
        continue;
      }
      bool dir = source.stat.type == SourceStat::Type::kDirectory;
      if (!dir && op_.is_add() && op_.unpack.value_or(true)) {
        ASSIGN_OR_RETURN(bool extracted, MaybeExtract(source));
        if (extracted) continue;
      }
      ASSIGN_OR_RETURN(
          std::string target,
          PrepareTarget(root_, dest_, dir, source.name, TreeOwner()));
      RETURN_IF_ERROR(copier.CopyTo(source, target));
    }
    entries_ += copier.entries();
    linked_ += copier.linked();
    return absl::OkStatus();
  }

  // SelectSources, except that a wildcard matching nothing selects nothing
  // when the directories before it exist: Docker's BuildKit then copies
  // nothing (`COPY *.none /x/` makes an empty layer) instead of failing.
  absl::StatusOr<Selection> Select(const std::string& src) {
    absl::StatusOr<Selection> selection =
        dockerfile::SelectSources(*tree_, {src});
    if (!absl::IsNotFound(selection.status()) || !HasWildcard(src)) {
      return selection;
    }
    std::string literal;
    for (absl::string_view part :
         absl::StrSplit(TreeRelative(src), '/', absl::SkipEmpty())) {
      if (HasWildcard(part)) break;
      literal = literal.empty() ? std::string(part)
                                : absl::StrCat(literal, "/", part);
    }
    if (!dockerfile::ResolveInTree(*tree_, literal, true).ok()) {
      return selection.status();
    }
    return Selection();
  }

  absl::StatusOr<bool> MaybeExtract(const SelectedSource& source) {
    if (source.stat.type != SourceStat::Type::kFile) return false;
    ASSIGN_OR_RETURN(ScopedFd probe, tree_->OpenFile(source.path));
    ASSIGN_OR_RETURN(bool archive, IsTarArchive(FdReader(std::move(probe))));
    if (!archive) return false;
    ASSIGN_OR_RETURN(std::string dir,
                     PrepareDirectory(root_, dest_, TreeOwner()));
    ASSIGN_OR_RETURN(ScopedFd file, tree_->OpenFile(source.path));
    RETURN_IF_ERROR(ExtractArchive(FdReader(std::move(file)), root_, dir,
                                   "\"" + source.path + "\""));
    ++entries_;
    return true;
  }

  // --parents: the path below the pivot ("dir/./rest": below "dir"; without
  // one, below the root) is kept under the destination.
  absl::Status Parents(const std::string& src) {
    size_t cut = src.find("/./");
    std::string pivot = cut == std::string::npos ? "" : src.substr(0, cut);
    std::string pattern = cut == std::string::npos ? src : src.substr(cut + 3);
    std::string pivot_rel = TreeRelative(pivot);
    ASSIGN_OR_RETURN(
        Selection selection,
        Select(pivot_rel.empty() ? pattern
                                 : absl::StrCat(pivot_rel, "/", pattern)));
    ASSIGN_OR_RETURN(std::string dest_dir,
                     PrepareDirectory(root_, dest_, TreeOwner()));
    TreeCopier copier(*tree_, root_, Attrs());
    std::string prefix = pivot_rel.empty() ? "" : pivot_rel + "/";
    for (const SelectedSource& source : selection.sources) {
      std::string under;
      if (source.path == pivot_rel) {
        under = "";
      } else if (absl::StartsWith(source.path, prefix)) {
        under = source.path.substr(prefix.size());
      } else {
        under = source.name;  // a symlink led outside the pivot
      }
      if (under.empty()) {
        RETURN_IF_ERROR(copier.CopyTo(source, dest_dir));
      } else {
        RETURN_IF_ERROR(copier.CopyUnder(source, pivot_rel, under, dest_dir));
      }
    }
    entries_ += copier.entries();
    linked_ += copier.linked();
    return absl::OkStatus();
  }

  absl::Status Url(const std::string& url) {
    auto it = op_.downloads.find(url);
    if (it == op_.downloads.end()) {
      return absl::FailedPreconditionError("the URL was not downloaded");
    }
    const DownloadedFile& file = it->second;
    if (!op_.checksum.empty()) {
      ASSIGN_OR_RETURN(Digest want, Digest::Parse(op_.checksum));
      ASSIGN_OR_RETURN(Digest got, DigestFile(file.path));
      if (got != want) {
        return absl::DataLossError(
            absl::StrCat("content has digest ", got.ToString(),
                         ", not the --checksum ", want.ToString()));
      }
    }
    if (op_.unpack.value_or(false)) {
      ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> probe,
                       OpenFileReader(file.path));
      ASSIGN_OR_RETURN(bool archive, IsTarArchive(std::move(probe)));
      if (archive) {
        ASSIGN_OR_RETURN(std::string dir,
                         PrepareDirectory(root_, dest_, chown_));
        ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> in,
                         OpenFileReader(file.path));
        ++entries_;
        return ExtractArchive(std::move(in), root_, dir, url);
      }
    }
    ASSIGN_OR_RETURN(
        std::string target,
        PrepareTarget(root_, dest_, false, image::UrlFileName(url), chown_));
    ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> in, OpenFileReader(file.path));
    NewFileMeta meta{0600, chmod_, chown_.value_or(Owner{}),
                     file.last_modified.has_value()
                         ? absl::FromUnixSeconds(*file.last_modified)
                         : clock_.Now()};
    RETURN_IF_ERROR(WriteNewFile(root_, target, *in, meta));
    ++entries_;
    return absl::OkStatus();
  }

  const FileOp& op_;
  const DirectoryTree* tree_;
  const RootFs& root_;
  const Clock& clock_;
  const Destination dest_;
  std::optional<uint32_t> chmod_;
  std::optional<Owner> chown_;
  dockerfile::IgnoreMatcher excludes_;
  int64_t entries_ = 0;
  int64_t linked_ = 0;
  std::set<std::pair<dev_t, ino_t>> linked_inodes_;  // by all copiers
};

}  // namespace

absl::StatusOr<std::optional<uint32_t>> ParseChmod(const std::string& chmod) {
  if (chmod.empty()) return std::nullopt;
  uint32_t mode = 0;
  for (char c : chmod) {
    if (c < '0' || c > '7' || mode > 07777) {
      mode = 010000;
      break;
    }
    mode = mode * 8 + (c - '0');
  }
  if (mode > 07777) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --chmod=", chmod,
                     ": expected an octal mode between 0 and 7777"));
  }
  return mode;
}

namespace {
// The fields COPY and ADD share.
FileOp CommonFileOp(absl::string_view keyword,
                    const dockerfile::FileSources& files,
                    const std::string& workdir, const std::string& chown,
                    const std::string& chmod,
                    const std::vector<std::string>& excludes) {
  FileOp op;
  op.keyword = std::string(keyword);
  op.sources = files.paths;
  op.heredocs = files.contents;
  op.dest = files.dest;
  op.workdir = workdir;
  op.chown = chown;
  op.chmod = chmod;
  op.excludes = excludes;
  return op;
}
}  // namespace

FileOp FileOpForCopy(const dockerfile::CopyInstruction& copy,
                     const std::string& workdir, bool from_context) {
  FileOp op = CommonFileOp("COPY", copy.files, workdir, copy.chown, copy.chmod,
                           copy.excludes);
  op.parents = copy.parents;
  if (from_context) op.default_owner = Owner{0, 0};
  return op;
}

FileOp FileOpForAdd(const dockerfile::AddInstruction& add,
                    const std::string& workdir) {
  FileOp op = CommonFileOp("ADD", add.files, workdir, add.chown, add.chmod,
                           add.excludes);
  op.default_owner = Owner{0, 0};
  op.unpack = add.unpack;
  op.checksum = add.checksum;
  op.keep_git_dir = add.keep_git_dir;
  return op;
}

absl::StatusOr<FileOpResult> RunFileOp(const FileOp& op,
                                       const DirectoryTree* tree,
                                       const std::string& rootfs,
                                       const Clock& clock) {
  ASSIGN_OR_RETURN(RootFs root, RootFs::Open(rootfs));
  Runner runner(op, tree, root, clock);
  RETURN_IF_ERROR(runner.Init());
  for (const std::string& src : op.sources) {
    RETURN_IF_ERROR(runner.Source(src));
  }
  for (const dockerfile::InlineFile& file : op.heredocs) {
    RETURN_IF_ERROR(Annotate(runner.Heredoc(file),
                             absl::StrCat(op.keyword, " <<", file.name)));
  }
  FileOpResult result;
  result.entries = runner.entries();
  result.linked = runner.linked();
  return result;
}

}  // namespace farm::fileops
