#include "image/registry/image_puller.h"

#include <atomic>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/oci/media_types.h"
#include "image/registry/manifest_ops.h"
#include "image/registry/parallel.h"
#include "image/registry/platform.h"

namespace farm::image::registry {
namespace {

// A config blob is small; anything bigger is not an image config.
constexpr size_t kMaxConfigBytes = 16 << 20;

// Collects a small blob in memory, as a one-blob BlobSink.
class MemorySink : public archive::BlobSink {
 public:
  class Upload : public archive::BlobUpload {
   public:
    explicit Upload(std::string* out) : out_(out) {}
    absl::Status Write(absl::string_view data) override {
      if (out_->size() + data.size() > kMaxConfigBytes) {
        return absl::ResourceExhaustedError("the config blob is too large");
      }
      out_->append(data.data(), data.size());
      return absl::OkStatus();
    }
    absl::Status Close() override { return absl::OkStatus(); }
    absl::Status Commit(const Digest&) override { return absl::OkStatus(); }

   private:
    std::string* out_;
  };
  absl::StatusOr<std::unique_ptr<archive::BlobUpload>> Begin(int64_t) override {
    data.clear();
    return std::unique_ptr<archive::BlobUpload>(new Upload(&data));
  }
  std::string data;
};

}  // namespace

absl::Status ImagePuller::FetchBlob(const Reference& ref,
                                    const oci::Descriptor& blob,
                                    archive::BlobSink& sink) {
  RegistrySession& session = client_->Session(ref.domain());
  return Retry(client_->options().retry, client_->sleeper(),
               [&] { return registry::FetchBlob(session, ref, blob, sink); });
}

absl::StatusOr<oci::Descriptor> ImagePuller::Head(const Reference& ref) {
  RegistrySession& session = client_->Session(ref.domain());
  return RetryOr<oci::Descriptor>(
      client_->options().retry, client_->sleeper(),
      [&] { return HeadManifest(session, ref, ref.ManifestId()); });
}

absl::StatusOr<ResolvedImage> ImagePuller::Resolve(
    const Reference& ref, const std::optional<oci::Platform>& platform) {
  RegistrySession& session = client_->Session(ref.domain());
  const RetryPolicy& retry = client_->options().retry;
  oci::Platform want = platform.value_or(DefaultPlatform());
  std::string name = ref.String();

  ASSIGN_OR_RETURN(FetchedManifest top,
                   RetryOr<FetchedManifest>(retry, client_->sleeper(), [&] {
                     return FetchManifest(session, ref, ref.ManifestId());
                   }));
  ResolvedImage out;
  out.reference = ref;
  FetchedManifest chosen = top;
  if (oci::IsIndexType(top.media_type)) {
    absl::StatusOr<oci::Index> index = oci::Index::Parse(top.bytes);
    if (!index.ok()) return Annotate(index.status(), name);
    absl::StatusOr<oci::Descriptor> entry = SelectManifest(*index, want);
    if (!entry.ok()) return Annotate(entry.status(), name);
    out.index = oci::Descriptor{top.media_type, top.digest,
                                static_cast<int64_t>(top.bytes.size())};
    ASSIGN_OR_RETURN(
        chosen, RetryOr<FetchedManifest>(retry, client_->sleeper(), [&] {
          return FetchManifest(session, ref, entry->digest.ToString());
        }));
    if (!oci::IsManifestType(chosen.media_type)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": the index entry for ", PlatformString(want),
                       " is a ", chosen.media_type, ", not an image manifest"));
    }
  } else if (!oci::IsManifestType(top.media_type)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": the registry sent a ", top.media_type,
                     ", which is not an image manifest or index"));
  }
  absl::StatusOr<oci::Manifest> manifest = oci::Manifest::Parse(chosen.bytes);
  if (!manifest.ok()) return Annotate(manifest.status(), name);
  out.manifest = *std::move(manifest);
  out.descriptor.media_type = chosen.media_type;
  out.descriptor.digest = chosen.digest;
  out.descriptor.size = static_cast<int64_t>(chosen.bytes.size());
  out.manifest_bytes = std::move(chosen.bytes);

  MemorySink config_sink;
  RETURN_IF_ERROR(Annotate(FetchBlob(ref, out.manifest.config, config_sink),
                           absl::StrCat(name, ": config")));
  out.config_bytes = std::move(config_sink.data);
  absl::StatusOr<oci::ImageConfig> config =
      oci::ImageConfig::Parse(out.config_bytes);
  if (!config.ok()) return Annotate(config.status(), name);
  out.config = *std::move(config);
  if (platform && !out.index) {
    oci::Platform have;
    have.os = out.config.os;
    have.architecture = out.config.architecture;
    have.variant = out.config.variant;
    if (!PlatformMatches(*platform, have)) {
      return absl::NotFoundError(absl::StrCat(
          name, " is for ", PlatformString(NormalizePlatform(have)),
          ", not the requested ",
          PlatformString(NormalizePlatform(*platform))));
    }
  }
  return out;
}

absl::StatusOr<PullResult> ImagePuller::Pull(const Reference& ref,
                                             archive::BlobSink& sink,
                                             const PullOptions& options) {
  PullResult result;
  ASSIGN_OR_RETURN(result.image, Resolve(ref, options.platform));
  const ResolvedImage& image = result.image;

  // The config came with Resolve, verified; the layers move in parallel.
  std::vector<oci::Descriptor> blobs;
  std::set<Digest> seen = {image.manifest.config.digest};
  for (const oci::Descriptor& layer : image.manifest.layers) {
    if (layer.media_type == oci::kDockerForeignLayerTarGzip) continue;
    if (seen.insert(layer.digest).second) blobs.push_back(layer);
  }
  std::atomic<int> fetched{0}, skipped{0};
  std::atomic<int64_t> bytes{0};
  std::vector<std::function<absl::Status()>> tasks;
  for (const oci::Descriptor& blob : blobs) {
    tasks.push_back([&, blob]() -> absl::Status {
      if (options.have_blob && options.have_blob(blob.digest)) {
        ++skipped;
        if (options.on_blob) options.on_blob({BlobEvent::kSkipped, blob});
        return absl::OkStatus();
      }
      if (options.on_blob) options.on_blob({BlobEvent::kStarted, blob});
      RETURN_IF_ERROR(Annotate(FetchBlob(ref, blob, sink),
                               absl::StrCat("pulling ", ref.String())));
      ++fetched;
      bytes += blob.size;
      if (options.on_blob) options.on_blob({BlobEvent::kDone, blob});
      return absl::OkStatus();
    });
  }
  RETURN_IF_ERROR(RunBounded(tasks, client_->options().parallel_blobs));
  for (const std::string* doc : {&image.config_bytes, &image.manifest_bytes}) {
    if (options.have_blob && options.have_blob(Digest::Of(*doc))) continue;
    RETURN_IF_ERROR(Annotate(
        archive::PutBlob(sink, *doc).status(),
        absl::StrCat("storing the image documents of ", ref.String())));
  }
  result.blobs_fetched = fetched;
  result.blobs_skipped = skipped;
  result.bytes_fetched = bytes;
  return result;
}

}  // namespace farm::image::registry
