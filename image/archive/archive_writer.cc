#include "image/archive/archive_writer.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "image/compress/decompressor.h"
#include "image/compress/digesting_io.h"
#include "image/oci/media_types.h"
#include "image/tar/tar_writer.h"

namespace farm::image::archive {
namespace {

using compress::Compression;

// How one blob of the archive is produced.
struct BlobPlan {
  Digest source;      // blob to read
  Digest expect;      // digest of the bytes written
  int64_t size = -1;  // bytes written
  Compression decompress = Compression::kNone;
};

class Exporter {
 public:
  Exporter(BlobSource& blobs, ByteWriter* out) : blobs_(blobs), tar_(out) {}

  absl::Status AddOci(const oci::Descriptor& d, int depth = 0) {
    if (depth > 4) return absl::InvalidArgumentError("index nesting too deep");
    AddRaw(d.digest, d.size);
    if (oci::IsIndexType(d.media_type)) {
      ASSIGN_OR_RETURN(std::string bytes, ReadBlob(blobs_, d.digest));
      ASSIGN_OR_RETURN(oci::Index index, oci::Index::Parse(bytes));
      for (const oci::Descriptor& child : index.manifests) {
        RETURN_IF_ERROR(AddOci(child, depth + 1));
      }
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::string bytes, ReadBlob(blobs_, d.digest));
    ASSIGN_OR_RETURN(oci::Manifest m, oci::Manifest::Parse(bytes));
    AddRaw(m.config.digest, m.config.size);
    for (const oci::Descriptor& layer : m.layers) {
      AddRaw(layer.digest, layer.size);
    }
    return absl::OkStatus();
  }

  // Adds one image in docker-archive form; returns its manifest.json item.
  absl::StatusOr<oci::Json> AddDocker(const ArchiveImage& image) {
    if (oci::IsIndexType(image.manifest.media_type)) {
      return absl::InvalidArgumentError(
          absl::StrCat("docker-archive: ", image.manifest.digest.ToString(),
                       " is an index; choose one platform's manifest"));
    }
    ASSIGN_OR_RETURN(std::string mbytes,
                     ReadBlob(blobs_, image.manifest.digest));
    ASSIGN_OR_RETURN(oci::Manifest m, oci::Manifest::Parse(mbytes));
    ASSIGN_OR_RETURN(std::string cbytes, ReadBlob(blobs_, m.config.digest));
    ASSIGN_OR_RETURN(oci::ImageConfig config, oci::ImageConfig::Parse(cbytes));
    if (config.diff_ids.size() != m.layers.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("image ", image.manifest.digest.ToString(), " has ",
                       m.layers.size(), " layers but its config lists ",
                       config.diff_ids.size(), " diff_ids"));
    }
    AddRaw(m.config.digest, m.config.size);
    oci::Json item = oci::Json::object();
    item["Config"] = BlobPath(m.config.digest);
    item["RepoTags"] =
        image.names.empty() ? oci::Json(nullptr) : oci::Json(image.names);
    oci::Json layers = oci::Json::array();
    for (size_t i = 0; i < m.layers.size(); ++i) {
      const oci::Descriptor& l = m.layers[i];
      const Digest& diff_id = config.diff_ids[i];
      BlobPlan& plan = plans_[diff_id.hex()];
      plan.source = l.digest;
      plan.expect = diff_id;
      oci::LayerCompression c = oci::LayerCompressionOf(l.media_type);
      if (c == oci::LayerCompression::kNone || l.digest == diff_id) {
        plan.size = l.size;
      } else {
        plan.decompress = c == oci::LayerCompression::kZstd
                              ? Compression::kZstd
                              : Compression::kGzip;
      }
      layers.push_back(BlobPath(diff_id));
    }
    item["Layers"] = std::move(layers);
    for (const std::string& name : image.names) {
      RepoTag rt = SplitRepoTag(name);
      repositories_[rt.repository][rt.tag] = config.diff_ids.empty()
                                                 ? m.config.digest.hex()
                                                 : config.diff_ids.back().hex();
    }
    return item;
  }

  // Writes the blobs, then the given metadata files, then the end marker.
  absl::Status Finish(const std::map<std::string, std::string>& files) {
    RETURN_IF_ERROR(Dir("blobs/"));
    RETURN_IF_ERROR(Dir("blobs/sha256/"));
    for (auto& [hex, plan] : plans_) RETURN_IF_ERROR(WriteBlob(plan));
    for (const auto& [name, data] : files) {
      RETURN_IF_ERROR(tar_.WriteHeader(FileEntry(name, data.size())));
      RETURN_IF_ERROR(tar_.WriteData(data));
    }
    return tar_.Finish();
  }

  const std::map<std::string, std::map<std::string, std::string>>&
  repositories() const {
    return repositories_;
  }

 private:
  static std::string BlobPath(const Digest& d) {
    return absl::StrCat("blobs/sha256/", d.hex());
  }

  static tar::TarEntry FileEntry(const std::string& name, int64_t size) {
    tar::TarEntry e;
    e.name = name;
    e.size = size;
    e.mode = 0644;
    return e;
  }

  absl::Status Dir(const std::string& name) {
    tar::TarEntry e = FileEntry(name, 0);
    e.type = tar::TarType::kDirectory;
    e.mode = 0755;
    return tar_.WriteHeader(e);
  }

  void AddRaw(const Digest& d, int64_t size) {
    BlobPlan& plan = plans_[d.hex()];
    plan.source = d;
    plan.expect = d;
    plan.size = size;
  }

  absl::Status WriteBlob(BlobPlan& plan) {
    std::string what = absl::StrCat("blob ", plan.source.ToString());
    if (plan.size < 0) {
      // Uncompressed size is unknown: a first pass counts (and verifies).
      ASSIGN_OR_RETURN(OpenedBlob blob, blobs_.Open(plan.source));
      compress::DecompressingReader plain(blob.reader.get(), plan.decompress);
      compress::DigestingWriter counter;
      RETURN_IF_ERROR(Annotate(Copy(plain, counter).status(), what));
      if (counter.Finish() != plan.expect) {
        return absl::DataLossError(absl::StrCat(
            what, " does not decompress to diffID ", plan.expect.ToString()));
      }
      plan.size = counter.bytes();
    }
    ASSIGN_OR_RETURN(OpenedBlob blob, blobs_.Open(plan.source));
    if (plan.decompress == Compression::kNone && blob.size != plan.size) {
      return absl::DataLossError(absl::StrCat(
          what, " has ", blob.size, " bytes, its descriptor says ", plan.size));
    }
    compress::DecompressingReader plain(blob.reader.get(), plan.decompress);
    RETURN_IF_ERROR(
        tar_.WriteHeader(FileEntry(BlobPath(plan.expect), plan.size)));
    compress::DigestingWriter hashed;
    std::unique_ptr<char[]> buf(new char[1 << 20]);
    int64_t left = plan.size;
    while (true) {
      ASSIGN_OR_RETURN(size_t n, plain.Read(buf.get(), 1 << 20));
      if (n == 0) break;
      if (static_cast<int64_t>(n) > left) {
        return absl::DataLossError(
            absl::StrCat(what, " is longer than ", plan.size, " bytes"));
      }
      left -= n;
      absl::string_view chunk(buf.get(), n);
      RETURN_IF_ERROR(hashed.Write(chunk));
      RETURN_IF_ERROR(tar_.WriteData(chunk));
    }
    if (left != 0) {
      return absl::DataLossError(
          absl::StrCat(what, " is shorter than ", plan.size, " bytes"));
    }
    if (hashed.Finish() != plan.expect) {
      return absl::DataLossError(
          absl::StrCat(what, " does not match ", plan.expect.ToString()));
    }
    return absl::OkStatus();
  }

  BlobSource& blobs_;
  tar::TarWriter tar_;
  std::map<std::string, BlobPlan> plans_;  // by hex of the written bytes
  std::map<std::string, std::map<std::string, std::string>> repositories_;
};

}  // namespace

RepoTag SplitRepoTag(absl::string_view reference) {
  absl::string_view ref = reference.substr(0, reference.find('@'));
  size_t colon = ref.rfind(':');
  size_t slash = ref.rfind('/');
  if (colon != absl::string_view::npos &&
      (slash == absl::string_view::npos || colon > slash)) {
    return {std::string(ref.substr(0, colon)),
            std::string(ref.substr(colon + 1))};
  }
  return {std::string(ref), "latest"};
}

absl::Status ExportArchive(ArchiveFormat format,
                           const std::vector<ArchiveImage>& images,
                           BlobSource& blobs, ByteWriter* out) {
  Exporter ex(blobs, out);
  std::map<std::string, std::string> files;
  if (format == ArchiveFormat::kDocker) {
    oci::Json manifest = oci::Json::array();
    for (const ArchiveImage& image : images) {
      ASSIGN_OR_RETURN(oci::Json item, ex.AddDocker(image));
      manifest.push_back(std::move(item));
    }
    files["manifest.json"] = oci::CanonicalJson(manifest);
    if (!ex.repositories().empty()) {
      files["repositories"] = oci::CanonicalJson(ex.repositories());
    }
    return ex.Finish(files);
  }
  oci::Index index;
  index.media_type = std::string(oci::kOciIndex);
  for (const ArchiveImage& image : images) {
    RETURN_IF_ERROR(ex.AddOci(image.manifest));
    if (image.names.empty()) index.manifests.push_back(image.manifest);
    for (const std::string& name : image.names) {
      oci::Descriptor d = image.manifest;
      d.annotations[std::string(oci::kAnnotationContainerdImageName)] = name;
      d.annotations[std::string(oci::kAnnotationRefName)] =
          SplitRepoTag(name).tag;
      index.manifests.push_back(std::move(d));
    }
  }
  files["index.json"] = index.ToJson();
  files[std::string(oci::kOciLayoutFile)] = oci::CanonicalJson(
      {{"imageLayoutVersion", std::string(oci::kOciLayoutVersion)}});
  return ex.Finish(files);
}

}  // namespace farm::image::archive
