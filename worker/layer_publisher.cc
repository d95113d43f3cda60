#include "worker/layer_publisher.h"

#include <unistd.h>

#include <atomic>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/io.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "image/layer/layer_writer.h"

namespace farm::worker {

absl::StatusOr<proto::LayerRef> PublishLayer(
    const std::string& dir, cache::BlobStore& blobs, const std::string& tmp_dir,
    std::optional<int64_t> source_date_epoch) {
  static std::atomic<uint64_t> counter{0};
  const std::string path = JoinPath(
      tmp_dir, absl::StrCat("layer-", getpid(), "-", counter++, ".tar.gz"));
  absl::Cleanup remove = [&] {
    if (absl::Status status = RemoveAll(path); !status.ok()) {
      FARM_LOG(WARNING) << "removing " << path << ": " << status;
    }
  };
  image::layer::LayerWriterOptions options;
  options.source_date_epoch = source_date_epoch;
  image::layer::LayerInfo info;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<ByteWriter> file, OpenFileWriter(path));
    absl::StatusOr<image::layer::LayerInfo> written =
        image::layer::WriteLayer(dir, file.get(), options);
    if (!written.ok()) return Annotate(written.status(), "writing the layer");
    RETURN_IF_ERROR(Annotate(file->Close(), "writing the layer"));
    info = *std::move(written);
  }

  proto::LayerRef ref;
  ref.set_digest(info.digest.ToString());
  ref.set_diff_id(info.diff_id.ToString());
  ref.set_size(info.size);
  ref.set_media_type(info.media_type);

  const Digest digest = info.digest;
  ASSIGN_OR_RETURN(std::vector<Digest> missing,
                   blobs.FindMissing(absl::MakeConstSpan(&digest, 1)));
  if (missing.empty()) return ref;
  // A store that keeps big blobs as files may take the file by renaming
  // it; the cleanup above then finds nothing left to remove.
  RETURN_IF_ERROR(Annotate(blobs.PutFile(digest, path),
                           absl::StrCat("storing layer ", ref.digest())));
  return ref;
}

}  // namespace farm::worker
