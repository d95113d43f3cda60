#include "scheduler/distribution_forms.h"

#include <unistd.h>

#include <atomic>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/io.h"
#include "common/status_macros.h"
#include "image/compress/compression.h"
#include "image/compress/digesting_io.h"
#include "image/oci/media_types.h"

namespace farm::scheduler {
namespace {

namespace oci = image::oci;

constexpr size_t kMaxManifestBytes = 4 << 20;

// The gzip type that goes with a plain layer's type.
std::string GzipTypeFor(absl::string_view plain_type) {
  return std::string(plain_type == oci::kDockerLayerTar
                         ? oci::kDockerLayerTarGzip
                         : oci::kOciLayerTarGzip);
}

// Docker schema 2 types → OCI ones; foreign layers have no OCI twin and keep
// theirs.
void ToOciTypes(oci::Manifest& m) {
  m.media_type = std::string(oci::kOciManifest);
  if (m.config.media_type == oci::kDockerConfig) {
    m.config.media_type = std::string(oci::kOciConfig);
  }
  for (oci::Descriptor& layer : m.layers) {
    if (layer.media_type == oci::kDockerLayerTarGzip) {
      layer.media_type = std::string(oci::kOciLayerTarGzip);
    }
  }
}

std::string SpoolPath(const std::string& dir) {
  static std::atomic<uint64_t> counter{0};
  return JoinPath(dir, absl::StrCat("gzip-", getpid(), "-", counter++));
}

}  // namespace

Digest DistributionForms::GzipFormKey(const Digest& diff_id) {
  return Digest::Of(absl::StrCat("farm gzip form v1\n", diff_id.ToString()));
}

absl::StatusOr<DistributionForm> DistributionForms::Of(
    const oci::Manifest& manifest, const std::string& manifest_json,
    Destination to) {
  oci::Manifest out = manifest;
  for (oci::Descriptor& layer : out.layers) {
    if (oci::LayerCompressionOf(layer.media_type) !=
        oci::LayerCompression::kNone) {
      continue;
    }
    ASSIGN_OR_RETURN(oci::Descriptor gzipped, Gzipped(layer));
    layer.digest = gzipped.digest;
    layer.size = gzipped.size;
    layer.media_type = GzipTypeFor(layer.media_type);
  }
  if (to == Destination::kOciLayout) ToOciTypes(out);
  const bool changed = !(out.ToJson() == manifest.ToJson());
  DistributionForm form;
  form.media_type =
      out.media_type.empty() ? std::string(oci::kOciManifest) : out.media_type;
  form.manifest_json = changed ? out.ToJson() : manifest_json;
  form.digest = Digest::Of(form.manifest_json);
  if (changed) RETURN_IF_ERROR(cache::PutBlob(*blobs_, form.manifest_json));
  return form;
}

absl::StatusOr<DistributionForm> DistributionForms::OfIndex(
    const std::string& index_json, Destination to) {
  ASSIGN_OR_RETURN(oci::Index index, oci::Index::Parse(index_json));
  oci::Index out = index;
  bool docker_children = !out.manifests.empty();
  for (oci::Descriptor& child : out.manifests) {
    const std::string what = absl::StrCat("manifest ", child.digest.ToString());
    if (!oci::IsManifestType(child.media_type)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " of the index is a ", child.media_type,
                       "; an index can hold only image manifests here"));
    }
    absl::StatusOr<std::string> json =
        cache::GetBlob(*blobs_, child.digest, kMaxManifestBytes);
    if (!json.ok()) return Annotate(json.status(), what);
    ASSIGN_OR_RETURN(oci::Manifest manifest, oci::Manifest::Parse(*json));
    absl::StatusOr<DistributionForm> form = Of(manifest, *json, to);
    if (!form.ok()) return Annotate(form.status(), what);
    child.media_type = form->media_type;
    child.digest = form->digest;
    child.size = static_cast<int64_t>(form->manifest_json.size());
    docker_children &= child.media_type == oci::kDockerManifest;
  }
  out.media_type = std::string(to == Destination::kRegistry && docker_children
                                   ? oci::kDockerManifestList
                                   : oci::kOciIndex);
  const bool changed = !(out.ToJson() == index.ToJson());
  DistributionForm form;
  form.media_type = out.media_type;
  form.manifest_json = changed ? out.ToJson() : index_json;
  form.digest = Digest::Of(form.manifest_json);
  if (changed) RETURN_IF_ERROR(cache::PutBlob(*blobs_, form.manifest_json));
  return form;
}

absl::StatusOr<oci::Descriptor> DistributionForms::Gzipped(
    const oci::Descriptor& layer) {
  const Digest key = GzipFormKey(layer.digest);
  // The action cache drops a result whose blob has gone, so a gzip blob that
  // the cache evicted is simply made again.
  absl::StatusOr<proto::ActionResult> known = actions_->Get(key);
  if (known.ok() && known->has_layer() &&
      known->layer().diff_id() == layer.digest.ToString()) {
    oci::Descriptor d;
    ASSIGN_OR_RETURN(d.digest, Digest::Parse(known->layer().digest()));
    d.size = known->layer().size();
    return d;
  }
  if (!known.ok() && !absl::IsNotFound(known.status())) return known.status();
  ASSIGN_OR_RETURN(oci::Descriptor d, Compress(layer));
  proto::ActionResult result;
  result.mutable_layer()->set_digest(d.digest.ToString());
  result.mutable_layer()->set_diff_id(layer.digest.ToString());
  result.mutable_layer()->set_size(d.size);
  result.mutable_layer()->set_media_type(std::string(oci::kOciLayerTarGzip));
  // Only an optimisation: a push must not fail because it was not kept.
  actions_->Update(key, result).IgnoreError();
  return d;
}

absl::StatusOr<oci::Descriptor> DistributionForms::Compress(
    const oci::Descriptor& layer) {
  RETURN_IF_ERROR(MakeDirs(spool_dir_, 0700));
  const std::string path = SpoolPath(spool_dir_);
  absl::Cleanup remove = [&] { unlink(path.c_str()); };
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> plain,
                   blobs_->Get(layer.digest));
  ASSIGN_OR_RETURN(std::unique_ptr<ByteWriter> file,
                   OpenFileWriter(path, 0600));
  image::compress::DigestingWriter gzip(file.get());
  Sha256Hasher tar;
  std::unique_ptr<ByteWriter> compressor = image::compress::NewCompressor(
      image::compress::Compression::kGzip, &gzip, {}, &tar);
  RETURN_IF_ERROR(Copy(*plain, *compressor).status());
  RETURN_IF_ERROR(compressor->Close());
  RETURN_IF_ERROR(file->Close());
  const Digest actual = tar.Finish();
  if (actual != layer.digest) {
    return absl::DataLossError(absl::StrCat("layer ", layer.digest.ToString(),
                                            " holds ", actual.ToString()));
  }
  oci::Descriptor d;
  d.size = static_cast<int64_t>(gzip.bytes());
  d.digest = gzip.Finish();
  RETURN_IF_ERROR(blobs_->PutFile(d.digest, path));
  return d;
}

}  // namespace farm::scheduler
