#include "worker/layer_publisher.h"

#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/fs.h"
#include "common/io.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "image/layer/layer_writer.h"

namespace farm::worker {
namespace {

void RemoveQuietly(const std::string& path) {
  if (absl::Status status = RemoveAll(path); !status.ok()) {
    FARM_LOG(WARNING) << "removing " << path << ": " << status;
  }
}

}  // namespace

absl::StatusOr<proto::LayerRef> WriteLayerFile(
    const std::string& dir, const std::string& path,
    std::optional<int64_t> source_date_epoch) {
  absl::Cleanup remove = [&] { RemoveQuietly(path); };
  image::layer::LayerWriterOptions options;
  // The build form: a plain tar whose digest is its diff_id. Compressing
  // every layer as it is built cost more than the rest of a big COPY; the
  // gzip form is made once, at push or save (scheduler/distribution_forms).
  options.compression = image::compress::Compression::kNone;
  options.source_date_epoch = source_date_epoch;
  ASSIGN_OR_RETURN(std::unique_ptr<ByteWriter> file, OpenFileWriter(path));
  absl::StatusOr<image::layer::LayerInfo> info =
      image::layer::WriteLayer(dir, file.get(), options);
  if (!info.ok()) return Annotate(info.status(), "writing the layer");
  RETURN_IF_ERROR(Annotate(file->Close(), "writing the layer"));
  std::move(remove).Cancel();
  proto::LayerRef ref;
  ref.set_digest(info->digest.ToString());
  ref.set_diff_id(info->diff_id.ToString());
  ref.set_size(info->size);
  ref.set_media_type(info->media_type);
  return ref;
}

constexpr int kUploadAttempts = 3;

absl::Status StoreLayerFile(const proto::LayerRef& layer,
                            const std::string& path, cache::BlobStore& blobs) {
  // A store that keeps big blobs as files may take the file by renaming
  // it; the cleanup then finds nothing left to remove.
  absl::Cleanup remove = [&] { RemoveQuietly(path); };
  ASSIGN_OR_RETURN(Digest digest, Digest::Parse(layer.digest()));
  ASSIGN_OR_RETURN(std::vector<Digest> missing,
                   blobs.FindMissing(absl::MakeConstSpan(&digest, 1)));
  if (missing.empty()) return absl::OkStatus();
  // A cache node that dies during the upload fails it with kUnavailable,
  // and the scheduler then skips that node: the next attempt goes to the
  // digest's next node (docs/scale.md).
  absl::Status stored;
  for (int attempt = 1; attempt <= kUploadAttempts; ++attempt) {
    stored = blobs.PutFile(digest, path);
    if (!absl::IsUnavailable(stored) || attempt == kUploadAttempts) break;
    FARM_LOG(WARNING) << "storing layer " << layer.digest() << " (attempt "
                      << attempt << "): " << stored << "; trying again";
    absl::SleepFor(absl::Milliseconds(500) * attempt);
  }
  return Annotate(stored, absl::StrCat("storing layer ", layer.digest()));
}

}  // namespace farm::worker
