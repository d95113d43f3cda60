// Cache keys, as ARCHITECTURE.md defines them: a stage's first key comes
// from its base, and instruction key i hashes key i-1, the canonical
// instruction, the build args it sees and, for COPY/ADD and bind mounts, a
// digest of the selected sources' content (path, type, mode, owner, content,
// link target; never mtime).
#ifndef FARM_PLANNER_CACHE_KEYS_H_
#define FARM_PLANNER_CACHE_KEYS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/digest.h"
#include "dockerfile/instructions.h"
#include "dockerfile/source_tree.h"
#include "proto/plan.pb.h"

namespace farm::planner {

// Key of `FROM scratch`.
Digest ScratchKey(const std::string& platform);
// Key of `FROM image`: its resolved manifest digest and the platform.
Digest ImageBaseKey(const std::string& manifest_digest,
                    const std::string& platform);
// `FROM stage` takes that stage's final key as its base key.

// A base key inside a cache namespace: the tenant whose action results are
// kept apart from other tenants'. "" (results shared) leaves `base` as is.
Digest NamespacedKey(const std::string& cache_namespace, const Digest& base);

// Key of one instruction. `sources` is "" for instructions that read no
// files, else what SourcesDigest / StageSourceDigest returned, in the order
// of the instruction's references.
Digest InstructionKey(const Digest& previous,
                      const proto::PlannedInstruction& instruction,
                      const std::vector<Digest>& sources);

// Digest of what `paths` select in `tree` (Docker's source rules), minus
// entries that `excludes` patterns (COPY --exclude) match. kNotFound when a
// source is missing, with Docker's "\"/x\": not found".
absl::StatusOr<Digest> SourcesDigest(const dockerfile::SourceTree& tree,
                                     const std::vector<std::string>& paths,
                                     const std::vector<std::string>& excludes);

// Digest standing for a stage's or image's filesystem when COPY --from
// reads it: its layer diff_ids in order.
Digest LayersDigest(const std::vector<std::string>& diff_ids);

// The context paths an instruction reads from the build context: COPY/ADD
// sources without --from (URLs and heredocs excluded) and RUN bind mounts
// without from=. Used both for keys and to ask the client for blobs.
std::vector<std::string> ContextPaths(
    const dockerfile::Instruction& instruction);

}  // namespace farm::planner

#endif  // FARM_PLANNER_CACHE_KEYS_H_
