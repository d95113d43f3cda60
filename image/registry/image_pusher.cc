#include "image/registry/image_pusher.h"

#include <atomic>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/oci/manifest.h"
#include "image/oci/media_types.h"
#include "image/registry/blob_ops.h"
#include "image/registry/manifest_ops.h"
#include "image/registry/parallel.h"

namespace farm::image::registry {
namespace {

constexpr size_t kMaxManifestBytes = 4 << 20;

// What one push consists of: blobs, then child manifests, then the top.
struct PushPlan {
  std::vector<oci::Descriptor> blobs;
  // Child manifests of an index: (media type, bytes), pushed by digest.
  std::vector<std::pair<std::string, std::string>> children;
};

bool Pushable(const oci::Descriptor& d) {
  return d.media_type != oci::kDockerForeignLayerTarGzip &&
         d.media_type.find("nondistributable") == std::string::npos;
}

absl::Status AddManifestBlobs(const std::string& bytes, PushPlan* plan,
                              std::set<Digest>* seen) {
  ASSIGN_OR_RETURN(oci::Manifest m, oci::Manifest::Parse(bytes));
  if (seen->insert(m.config.digest).second) plan->blobs.push_back(m.config);
  for (const oci::Descriptor& layer : m.layers) {
    if (Pushable(layer) && seen->insert(layer.digest).second) {
      plan->blobs.push_back(layer);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PushPlan> Plan(const std::string& bytes,
                              const std::string& media_type,
                              archive::BlobSource& source) {
  PushPlan plan;
  std::set<Digest> seen;
  if (oci::IsManifestType(media_type)) {
    RETURN_IF_ERROR(AddManifestBlobs(bytes, &plan, &seen));
    return plan;
  }
  if (!oci::IsIndexType(media_type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot push a document of type \"", media_type,
                     "\": want an image manifest or index"));
  }
  ASSIGN_OR_RETURN(oci::Index index, oci::Index::Parse(bytes));
  for (const oci::Descriptor& child : index.manifests) {
    if (!oci::IsManifestType(child.media_type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "index entry ", child.digest.ToString(), " is a ", child.media_type,
          "; only image manifests can be pushed inside an index"));
    }
    ASSIGN_OR_RETURN(
        std::string child_bytes,
        archive::ReadBlob(source, child.digest, kMaxManifestBytes));
    RETURN_IF_ERROR(
        Annotate(AddManifestBlobs(child_bytes, &plan, &seen),
                 absl::StrCat("manifest ", child.digest.ToString())));
    plan.children.emplace_back(child.media_type, std::move(child_bytes));
  }
  return plan;
}

}  // namespace

absl::StatusOr<PushResult> ImagePusher::Push(const Reference& ref,
                                             const std::string& manifest_bytes,
                                             const std::string& media_type,
                                             archive::BlobSource& blobs,
                                             const PushOptions& options) {
  std::string name = ref.String();
  PushResult result;
  result.digest = Digest::Of(manifest_bytes);
  if (ref.digest() && *ref.digest() != result.digest) {
    return absl::InvalidArgumentError(
        absl::StrCat("pushing ", name, ": the manifest's digest is ",
                     result.digest.ToString()));
  }
  absl::StatusOr<PushPlan> plan = Plan(manifest_bytes, media_type, blobs);
  if (!plan.ok())
    return Annotate(plan.status(), absl::StrCat("pushing ", name));

  RegistrySession& session = client_->Session(ref.domain());
  const RegistryClientOptions& opts = client_->options();
  std::atomic<int> uploaded{0}, mounted{0}, existing{0};
  std::atomic<int64_t> bytes{0};
  std::vector<std::function<absl::Status()>> tasks;
  for (const oci::Descriptor& blob : plan->blobs) {
    std::vector<std::string> mount_from;
    auto it = options.known_locations.find(blob.digest);
    if (it != options.known_locations.end()) {
      for (const std::string& where : it->second) {
        absl::StatusOr<Reference> repo = Reference::Parse(where);
        if (repo.ok() && repo->domain() == ref.domain() &&
            repo->path() != ref.path()) {
          mount_from.push_back(repo->path());
        }
      }
    }
    tasks.push_back([&, blob, mount_from]() -> absl::Status {
      if (options.on_blob) options.on_blob({BlobEvent::kStarted, blob});
      ASSIGN_OR_RETURN(
          BlobOutcome outcome,
          RetryOr<BlobOutcome>(opts.retry, client_->sleeper(), [&] {
            return PushBlob(session, ref, blob, blobs, mount_from, opts.upload);
          }));
      BlobEvent::Kind kind = BlobEvent::kDone;
      if (outcome == BlobOutcome::kUploaded) {
        ++uploaded;
        bytes += blob.size;
      } else if (outcome == BlobOutcome::kMounted) {
        ++mounted;
        kind = BlobEvent::kMounted;
      } else {
        ++existing;
        kind = BlobEvent::kSkipped;
      }
      if (options.on_blob) options.on_blob({kind, blob});
      return absl::OkStatus();
    });
  }
  RETURN_IF_ERROR(Annotate(RunBounded(tasks, opts.parallel_blobs),
                           absl::StrCat("pushing ", name)));

  for (const auto& [type, bytes_of_child] : plan->children) {
    RETURN_IF_ERROR(Annotate(Retry(opts.retry, client_->sleeper(),
                                   [&] {
                                     return PutManifest(
                                         session, ref,
                                         Digest::Of(bytes_of_child).ToString(),
                                         type, bytes_of_child);
                                   }),
                             absl::StrCat("pushing ", name)));
  }
  std::string id = ref.tag().empty() ? result.digest.ToString() : ref.tag();
  RETURN_IF_ERROR(Annotate(
      Retry(opts.retry, client_->sleeper(),
            [&] {
              return PutManifest(session, ref, id, media_type, manifest_bytes);
            }),
      absl::StrCat("pushing ", name)));
  result.blobs_uploaded = uploaded;
  result.blobs_mounted = mounted;
  result.blobs_existing = existing;
  result.bytes_uploaded = bytes;
  return result;
}

}  // namespace farm::image::registry
