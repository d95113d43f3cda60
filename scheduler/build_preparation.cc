#include "scheduler/build_preparation.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/io.h"
#include "common/status_macros.h"
#include "dockerfile/dockerfile.h"
#include "image/fetch/url_fetch.h"
#include "planner/cache_keys.h"
#include "scheduler/context_subset.h"

namespace farm::scheduler {

namespace {

// Streams a file into the CAS under its known digest.
absl::Status StoreFile(cache::BlobStore& blobs, const std::string& path,
                       const Digest& digest) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> reader, OpenFileReader(path));
  ASSIGN_OR_RETURN(std::unique_ptr<cache::BlobWriter> writer,
                   blobs.Put(digest));
  RETURN_IF_ERROR(Copy(*reader, *writer).status());
  return writer->Commit();
}

}  // namespace

absl::StatusOr<PreparedBuild> PrepareBuild(const proto::BuildRequest& request,
                                           ImageResolver& resolver) {
  PreparedBuild prepared;
  std::string name = request.dockerfile_name().empty()
                         ? "Dockerfile"
                         : request.dockerfile_name();
  ASSIGN_OR_RETURN(dockerfile::Dockerfile df,
                   dockerfile::ParseDockerfile(request.dockerfile(), name));
  for (const dockerfile::Warning& warning : df.warnings) {
    prepared.warnings.push_back(absl::StrCat(warning.rule, ": ",
                                             warning.message, " (", name, ":",
                                             warning.line, ")"));
  }
  planner::PlanOptions options;
  options.target = request.target();
  options.build_args.insert(request.build_args().begin(),
                            request.build_args().end());
  if (!request.platform().empty()) {
    ASSIGN_OR_RETURN(options.target_platform,
                     planner::Platform::Parse(request.platform()));
  }
  prepared.platform = options.target_platform.ToString();
  PlanningResolver planning(&resolver, request.pull(), prepared.platform);
  options.resolver = &planning;
  ASSIGN_OR_RETURN(prepared.plan, planner::PlanBuild(df, options));
  for (const std::string& warning : prepared.plan.graph.warnings()) {
    prepared.warnings.push_back(warning);
  }
  // Images that are only read from (COPY --from=image, --mount from=).
  for (const proto::PlannedStage& stage : prepared.plan.graph.stages()) {
    for (const proto::PlannedInstruction& in : stage.instructions()) {
      for (const proto::StageRef& ref : in.sources()) {
        if (ref.stage_index() >= 0) continue;
        absl::Status added = planning.Add(ref.image(), prepared.platform);
        if (!added.ok()) {
          return Annotate(added, absl::StrCat(name, ":", in.line()));
        }
      }
    }
  }
  prepared.images = planning.images();
  return prepared;
}

NeededContext NeededContextBlobs(const planner::PlannedBuild& plan,
                                 const planner::ManifestTree& tree,
                                 const proto::ContextManifest& context) {
  NeededContext needed;
  absl::flat_hash_set<absl::string_view> digests;
  for (const proto::PlannedStage& stage : plan.graph.stages()) {
    const auto& typed = plan.instructions.at(stage.index());
    for (const dockerfile::Instruction& in : typed) {
      std::vector<std::string> paths = planner::ContextPaths(in);
      for (const std::string& path : paths) {
        absl::StatusOr<std::vector<const proto::ContextEntry*>> subset =
            ContextSubsetEntries(tree, context, {path});
        if (!subset.ok()) continue;
        for (const proto::ContextEntry* entry : *subset) {
          if (entry->type() == proto::ContextEntry::FILE &&
              digests.insert(entry->digest()).second) {
            needed.bytes += entry->size();
          }
        }
      }
    }
  }
  std::vector<Digest>& out = needed.digests;
  out.reserve(digests.size());
  for (absl::string_view text : digests) {
    absl::StatusOr<Digest> digest = Digest::Parse(text);
    if (digest.ok()) out.push_back(*digest);
  }
  // In digest order, as before, so requests for blobs are reproducible.
  std::sort(out.begin(), out.end());
  return needed;
}

int64_t ContextBytesOf(const proto::ContextManifest& context,
                       const std::vector<Digest>& digests) {
  absl::flat_hash_set<std::string> wanted;
  wanted.reserve(digests.size());
  for (const Digest& digest : digests) wanted.insert(digest.ToString());
  int64_t bytes = 0;
  for (const proto::ContextEntry& entry : context.entries()) {
    if (entry.type() == proto::ContextEntry::FILE &&
        wanted.erase(entry.digest()) > 0) {
      bytes += entry.size();
    }
  }
  return bytes;
}

absl::StatusOr<std::map<std::string, Digest>> FetchUrlSources(
    const planner::PlannedBuild& plan, const std::string& dockerfile_name,
    cache::BlobStore& blobs, const std::string& spool_dir,
    const image::FetchPolicy* policy) {
  std::map<std::string, Digest> fetched;
  for (const proto::PlannedStage& stage : plan.graph.stages()) {
    const auto& typed = plan.instructions.at(stage.index());
    for (size_t i = 0; i < typed.size(); ++i) {
      const auto* add = typed[i].As<dockerfile::AddInstruction>();
      if (add == nullptr) continue;
      for (const std::string& source : add->files.paths) {
        if (!image::IsUrl(source) || fetched.count(source)) continue;
        std::string context =
            absl::StrCat(dockerfile_name, ":", stage.instructions(i).line(),
                         ": ADD ", source);
        RETURN_IF_ERROR(Annotate(MakeDirs(spool_dir), context));
        std::string path =
            JoinPath(spool_dir, absl::StrCat("url-", Digest::Of(source).hex()));
        image::FetchOptions options;
        options.checksum = add->checksum;
        options.policy = policy;
        absl::StatusOr<image::FetchedFile> file =
            image::FetchUrl(source, path, options);
        if (!file.ok()) return Annotate(file.status(), context);
        absl::Status stored = StoreFile(blobs, path, file->digest);
        unlink(path.c_str());
        RETURN_IF_ERROR(Annotate(stored, context));
        fetched[source] = file->digest;
      }
    }
  }
  return fetched;
}

}  // namespace farm::scheduler
