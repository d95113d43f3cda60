// RunFileOp: performs one COPY or ADD into a rootfs with Docker's (BuildKit
// in Docker 20.10) semantics: sources chosen by dockerfile/source_selector
// exactly as the scheduler chose them for the cache key, destinations
// resolved inside the rootfs, --chown names from the rootfs's own
// /etc/passwd and /etc/group, ADD's archive extraction and URL downloads,
// and `COPY <<EOF` files. See docs/worker.md for the rules and quirks.
#ifndef FARM_WORKER_FILEOPS_FILE_OP_H_
#define FARM_WORKER_FILEOPS_FILE_OP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "dockerfile/instructions.h"
#include "worker/fileops/directory_tree.h"
#include "worker/fileops/root_fs.h"
#include "worker/fileops/tree_copier.h"

namespace farm::fileops {

// An `ADD <url>` source the caller has already fetched (url_fetch.h).
struct DownloadedFile {
  std::string path;
  // Last-Modified of the response; the file's mtime is "now" without it.
  std::optional<int64_t> last_modified;
};

struct FileOp {
  std::string keyword = "COPY";  // COPY or ADD, for messages and ADD rules
  // As written, after variable expansion: paths in the source tree, and for
  // ADD http(s) URLs. Run in order, heredocs after them, as BuildKit does.
  std::vector<std::string> sources;
  std::vector<dockerfile::InlineFile> heredocs;
  std::string dest;
  std::string workdir = "/";
  std::string chown;
  std::string chmod;
  std::vector<std::string> excludes;
  bool parents = false;
  // Owner of entries from the source tree when there is no --chown. Docker's
  // client sends the build context as 0:0, so context copies set {0, 0};
  // COPY --from keeps each file's owner (nullopt).
  std::optional<Owner> default_owner;
  // ADD only.
  std::optional<bool> unpack;  // default: local archives yes, URLs no
  std::string checksum;
  bool keep_git_dir = false;
  absl::flat_hash_map<std::string, DownloadedFile> downloads;  // by URL
  // Set when the source tree's files are never changed in place and the
  // rootfs is an overlay whose upper dir this names: files are then linked
  // rather than copied where that gives the same layer (tree_copier.h).
  std::optional<LinkInto> link;

  bool is_add() const { return keyword == "ADD"; }
};

// The FileOp of a COPY. `from_context`: the sources are the build context
// (no --from, or --from naming a named context), so owners become 0:0.
FileOp FileOpForCopy(const dockerfile::CopyInstruction& copy,
                     const std::string& workdir, bool from_context);
// The FileOp of an ADD; the caller fills `downloads` for its URLs.
FileOp FileOpForAdd(const dockerfile::AddInstruction& add,
                    const std::string& workdir);

// Parses --chmod: octal digits up to 07777; "" is no --chmod.
// kInvalidArgument otherwise (Docker 20.10 silently ignores a bad value;
// later BuildKit rejects it, and so does farm).
absl::StatusOr<std::optional<uint32_t>> ParseChmod(const std::string& chmod);

struct FileOpResult {
  int64_t entries = 0;  // files, directories and links created or replaced
  int64_t linked = 0;   // of them, files linked into the upper dir
};

// Runs `op`, reading path sources from `tree` (may be null when there are
// none), writing into the directory `rootfs`. `clock` stamps heredoc files
// and downloads without Last-Modified. Errors name the instruction and the
// source or destination: kNotFound for a source that matches nothing,
// kInvalidArgument for bad flags (or --checksum on a local source, a URL
// in COPY), kFailedPrecondition for a destination in the way or a URL the
// caller did not fetch, kUnimplemented for git sources, kDataLoss for a
// download that fails its --checksum, and the errno codes of the
// filesystem. A failed op leaves the rootfs partly written.
absl::StatusOr<FileOpResult> RunFileOp(const FileOp& op,
                                       const DirectoryTree* tree,
                                       const std::string& rootfs,
                                       const Clock& clock = *RealClock::Get());

}  // namespace farm::fileops

#endif  // FARM_WORKER_FILEOPS_FILE_OP_H_
