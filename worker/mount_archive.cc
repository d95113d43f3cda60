#include "worker/mount_archive.h"

#include "absl/cleanup/cleanup.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/layer/layer_applier.h"
#include "image/layer/layer_writer.h"

namespace farm::worker {

absl::StatusOr<ArchivedDir> ArchiveDir(const std::string& dir,
                                       const std::string& path) {
  absl::Cleanup remove = [&] { RemoveAll(path).IgnoreError(); };
  image::layer::LayerWriterOptions options;
  // Caches hold sources, object files and packages: worth the fast gzip
  // level on the way through the network, once per generation.
  options.compression = image::compress::Compression::kGzip;
  ASSIGN_OR_RETURN(std::unique_ptr<ByteWriter> file,
                   OpenFileWriter(path, 0600));
  ASSIGN_OR_RETURN(image::layer::LayerInfo info,
                   image::layer::WriteLayer(dir, file.get(), options));
  RETURN_IF_ERROR(file->Close());
  std::move(remove).Cancel();
  return ArchivedDir{info.digest, info.size};
}

absl::Status UnpackDir(ByteReader* in, const std::string& dir,
                       uint64_t max_bytes) {
  image::layer::ApplyOptions options;
  options.mode = image::layer::ApplyMode::kMerge;
  options.max_bytes = max_bytes;
  // A cache holds files; a device node in one is someone's mischief.
  options.allow_devices = false;
  return image::layer::ApplyLayer(in, dir, options).status();
}

}  // namespace farm::worker
