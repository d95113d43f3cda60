#include "image/archive/archive_reader.h"

#include <map>
#include <memory>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "image/compress/decompressor.h"
#include "image/compress/digesting_io.h"
#include "image/oci/media_types.h"
#include "image/tar/tar_reader.h"

namespace farm::image::archive {
namespace {

using compress::Compression;

// One regular member of the archive, as seen while streaming.
struct Member {
  std::string name;
  Digest digest;
  int64_t size = 0;
  Compression compression = Compression::kNone;
  std::optional<Digest> diff_id;    // of the decompressed bytes, if known
  std::optional<std::string> data;  // held in memory until the end
  bool stored = false;              // already in the sink
};

std::string CleanName(const std::string& name) {
  std::string n = CleanPath(name);
  while (absl::StartsWith(n, "/")) n = n.substr(1);
  return n;
}

// The digest a path like blobs/sha256/<hex> or <hex>.json promises.
std::optional<Digest> DigestFromPath(const std::string& path) {
  std::string hex;
  if (absl::StartsWith(path, "blobs/sha256/")) {
    hex = path.substr(13);
  } else if (absl::EndsWith(path, ".json") &&
             path.find('/') == std::string::npos) {
    hex = path.substr(0, path.size() - 5);
  } else {
    return std::nullopt;
  }
  absl::StatusOr<Digest> d = Digest::Parse("sha256:" + hex);
  if (!d.ok()) return std::nullopt;
  return *d;
}

class Importer {
 public:
  Importer(BlobSink& sink, const ImportOptions& options)
      : sink_(sink), options_(options) {}

  absl::Status ReadArchive(ByteReader* in) {
    tar::TarReader reader(in);
    tar::TarEntry e;
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader.Next(&e));
      if (!more) break;
      std::string name = CleanName(e.name);
      std::string label = absl::StrCat("archive member \"", e.name, "\"");
      if (e.type == tar::TarType::kSymlink ||
          e.type == tar::TarType::kHardlink) {
        std::string target =
            e.type == tar::TarType::kSymlink
                ? CleanName(JoinPath(DirName(name), e.linkname))
                : CleanName(e.linkname);
        links_[name] = target;
        continue;
      }
      if (e.type != tar::TarType::kRegular) continue;
      absl::Status s = ReadMember(reader, name, e.size);
      if (!s.ok() && !absl::StartsWith(s.message(), "archive member")) {
        s = Annotate(s, label);
      }
      RETURN_IF_ERROR(s);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ImportResult> Resolve() {
    ImportResult result;
    if (Find(std::string(oci::kOciLayoutFile)) != nullptr) {
      result.format = ArchiveFormat::kOci;
      RETURN_IF_ERROR(ResolveOci(&result));
    } else if (Find("manifest.json") != nullptr) {
      result.format = ArchiveFormat::kDocker;
      RETURN_IF_ERROR(ResolveDocker(&result));
    } else {
      return absl::InvalidArgumentError(
          "archive has neither oci-layout nor manifest.json: not an image "
          "archive");
    }
    return result;
  }

 private:
  absl::Status ReadMember(tar::TarReader& reader, const std::string& name,
                          int64_t size) {
    auto m = std::make_unique<Member>();
    m->name = name;
    m->size = size;
    bool small = size <= options_.small_member_bytes &&
                 memory_ + size <= options_.max_memory_bytes;
    if (small) {
      ASSIGN_OR_RETURN(std::string data, ReadAll(reader, size + 1));
      memory_ += data.size();
      m->digest = Digest::Of(data);
      m->compression = compress::DetectCompression(data);
      if (m->compression == Compression::kNone) {
        m->diff_id = m->digest;
      } else if (options_.verify_diff_ids) {
        compress::DigestingWriter diff;
        compress::DecompressingWriter plain(m->compression, &diff);
        if (plain.Write(data).ok() && plain.Close().ok())
          m->diff_id = diff.Finish();
      }
      m->data = std::move(data);
    } else {
      RETURN_IF_ERROR(Stream(reader, m.get()));
    }
    std::optional<Digest> promised = DigestFromPath(name);
    if (promised.has_value() && *promised != m->digest) {
      return absl::DataLossError(
          absl::StrCat("archive member \"", name, "\" hashes to ",
                       m->digest.ToString(), ", not the digest its name says"));
    }
    members_[name] = std::move(m);
    return absl::OkStatus();
  }

  // Streams a large member into the sink, hashing it (and its decompressed
  // form) on the way.
  absl::Status Stream(tar::TarReader& reader, Member* m) {
    ASSIGN_OR_RETURN(std::unique_ptr<BlobUpload> up, sink_.Begin(m->size));
    compress::DigestingWriter blob(up.get());
    compress::DigestingWriter diff;
    std::unique_ptr<compress::DecompressingWriter> plain;
    std::unique_ptr<char[]> buf(new char[1 << 20]);
    bool first = true;
    while (true) {
      ASSIGN_OR_RETURN(size_t n, reader.Read(buf.get(), 1 << 20));
      if (n == 0) break;
      absl::string_view chunk(buf.get(), n);
      if (first) {
        first = false;
        m->compression = compress::DetectCompression(chunk);
        if (m->compression != Compression::kNone && options_.verify_diff_ids) {
          plain = std::make_unique<compress::DecompressingWriter>(
              m->compression, &diff);
        }
      }
      RETURN_IF_ERROR(blob.Write(chunk));
      if (plain != nullptr)
        RETURN_IF_ERROR(plain->Write(chunk));
      else if (m->compression == Compression::kNone)
        diff.Write(chunk).IgnoreError();
    }
    m->digest = blob.Finish();
    if (m->compression == Compression::kNone) {
      m->diff_id = m->digest;
    } else if (plain != nullptr) {
      RETURN_IF_ERROR(plain->Close());
      m->diff_id = diff.Finish();
    }
    std::optional<Digest> promised = DigestFromPath(m->name);
    if (promised.has_value() && *promised != m->digest) {
      return absl::DataLossError(
          absl::StrCat("archive member \"", m->name, "\" hashes to ",
                       m->digest.ToString(), ", not the digest its name says"));
    }
    RETURN_IF_ERROR(up->Close());
    RETURN_IF_ERROR(up->Commit(m->digest));
    m->stored = true;
    return absl::OkStatus();
  }

  Member* Find(std::string name) {
    for (int hops = 0; hops < 8; ++hops) {
      auto it = members_.find(name);
      if (it != members_.end()) return it->second.get();
      auto link = links_.find(name);
      if (link == links_.end()) return nullptr;
      name = link->second;
    }
    return nullptr;
  }

  Member* FindDigest(const Digest& d) {
    Member* m = Find(absl::StrCat("blobs/sha256/", d.hex()));
    if (m != nullptr) return m;
    for (auto& [name, member] : members_) {
      if (member->digest == d) return member.get();
    }
    return nullptr;
  }

  // Makes sure `m` is in the sink.
  absl::Status Store(Member* m) {
    if (m->stored) return absl::OkStatus();
    RETURN_IF_ERROR(PutBlob(sink_, *m->data).status());
    m->stored = true;
    return absl::OkStatus();
  }

  absl::StatusOr<Member*> Blob(const oci::Descriptor& d,
                               absl::string_view what) {
    Member* m = FindDigest(d.digest);
    if (m == nullptr) {
      return absl::NotFoundError(absl::StrCat(what, " ", d.digest.ToString(),
                                              " is not in the archive"));
    }
    if (m->size != d.size) {
      return absl::DataLossError(
          absl::StrCat(what, " ", d.digest.ToString(), " has ", m->size,
                       " bytes, its descriptor says ", d.size));
    }
    RETURN_IF_ERROR(Store(m));
    return m;
  }

  absl::StatusOr<std::string> Text(Member* m, absl::string_view what) {
    if (!m->data.has_value()) {
      return absl::ResourceExhaustedError(
          absl::StrCat(what, " \"", m->name, "\" is too large to be metadata"));
    }
    return *m->data;
  }

  absl::Status CheckLayers(const oci::Manifest& m,
                           const oci::ImageConfig& config,
                           const std::string& image) {
    if (m.layers.size() != config.diff_ids.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(image, ": ", m.layers.size(), " layers but ",
                       config.diff_ids.size(), " diff_ids in the config"));
    }
    for (size_t i = 0; i < m.layers.size(); ++i) {
      ASSIGN_OR_RETURN(Member * layer, Blob(m.layers[i], "layer"));
      if (layer->diff_id.has_value() && *layer->diff_id != config.diff_ids[i]) {
        return absl::DataLossError(absl::StrCat(
            image, ": layer ", i, " (archive member \"", layer->name,
            "\") has diffID ", layer->diff_id->ToString(), ", the config says ",
            config.diff_ids[i].ToString()));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ImportManifest(const oci::Descriptor& d,
                              const std::vector<std::string>& names,
                              const std::optional<oci::Descriptor>& index,
                              ImportResult* result) {
    for (ImportedImage& seen : result->images) {
      if (seen.manifest.digest == d.digest) {  // another name, same image
        seen.names.insert(seen.names.end(), names.begin(), names.end());
        return absl::OkStatus();
      }
    }
    ASSIGN_OR_RETURN(Member * mm, Blob(d, "manifest"));
    ASSIGN_OR_RETURN(std::string mtext, Text(mm, "manifest"));
    ImportedImage image;
    ASSIGN_OR_RETURN(image.parsed_manifest, oci::Manifest::Parse(mtext));
    ASSIGN_OR_RETURN(Member * cm, Blob(image.parsed_manifest.config, "config"));
    ASSIGN_OR_RETURN(std::string ctext, Text(cm, "config"));
    ASSIGN_OR_RETURN(image.config, oci::ImageConfig::Parse(ctext));
    RETURN_IF_ERROR(
        CheckLayers(image.parsed_manifest, image.config,
                    absl::StrCat("manifest ", d.digest.ToString())));
    image.names = names;
    image.manifest = d;
    image.manifest.annotations.clear();
    image.index = index;
    result->images.push_back(std::move(image));
    return absl::OkStatus();
  }

  absl::Status ImportDescriptor(const oci::Descriptor& d,
                                const std::vector<std::string>& names,
                                std::optional<oci::Descriptor> index,
                                ImportResult* result, int depth) {
    if (oci::IsIndexType(d.media_type)) {
      if (depth > 4)
        return absl::InvalidArgumentError("index nesting too deep");
      ASSIGN_OR_RETURN(Member * im, Blob(d, "index"));
      ASSIGN_OR_RETURN(std::string text, Text(im, "index"));
      ASSIGN_OR_RETURN(oci::Index nested, oci::Index::Parse(text));
      if (!index.has_value()) index = d;
      for (const oci::Descriptor& child : nested.manifests) {
        RETURN_IF_ERROR(
            ImportDescriptor(child, names, index, result, depth + 1));
      }
      return absl::OkStatus();
    }
    return ImportManifest(d, names, index, result);
  }

  absl::Status ResolveOci(ImportResult* result) {
    ASSIGN_OR_RETURN(
        std::string layout,
        Text(Find(std::string(oci::kOciLayoutFile)), "oci-layout"));
    ASSIGN_OR_RETURN(oci::Json lj, oci::ParseJsonObject(layout, "oci-layout"));
    std::string version;
    oci::FieldReader lr(lj, "oci-layout");
    lr.String("imageLayoutVersion", &version, /*required=*/true);
    RETURN_IF_ERROR(lr.status());
    Member* im = Find("index.json");
    if (im == nullptr) {
      return absl::InvalidArgumentError("OCI layout without index.json");
    }
    ASSIGN_OR_RETURN(std::string text, Text(im, "index.json"));
    ASSIGN_OR_RETURN(oci::Index index, oci::Index::Parse(text));
    for (const oci::Descriptor& d : index.manifests) {
      std::vector<std::string> names;
      auto full =
          d.annotations.find(std::string(oci::kAnnotationContainerdImageName));
      auto ref = d.annotations.find(std::string(oci::kAnnotationRefName));
      if (full != d.annotations.end()) {
        names.push_back(full->second);
      } else if (ref != d.annotations.end()) {
        names.push_back(ref->second);
      }
      RETURN_IF_ERROR(ImportDescriptor(d, names, std::nullopt, result, 0));
    }
    return absl::OkStatus();
  }

  absl::Status ResolveDocker(ImportResult* result) {
    ASSIGN_OR_RETURN(std::string text,
                     Text(Find("manifest.json"), "manifest.json"));
    oci::Json list;
    try {
      list = oci::Json::parse(text);
    } catch (const oci::Json::exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest.json: invalid JSON: ", e.what()));
    }
    if (!list.is_array()) {
      return absl::InvalidArgumentError("manifest.json: want an array");
    }
    for (size_t i = 0; i < list.size(); ++i) {
      std::string what = absl::StrCat("manifest.json[", i, "]");
      if (!list[i].is_object()) {
        return absl::InvalidArgumentError(what + ": want an object");
      }
      std::string config_path;
      std::vector<std::string> tags, layer_paths;
      oci::FieldReader r(list[i], "manifest.json", absl::StrCat("[", i, "]"));
      r.String("Config", &config_path, /*required=*/true);
      r.StringList("RepoTags", &tags);
      r.StringList("Layers", &layer_paths);
      RETURN_IF_ERROR(r.status());
      Member* cm = Find(CleanName(config_path));
      if (cm == nullptr) {
        return absl::NotFoundError(absl::StrCat(
            what, ": config \"", config_path, "\" is not in the archive"));
      }
      ASSIGN_OR_RETURN(std::string ctext, Text(cm, "config"));
      RETURN_IF_ERROR(Store(cm));
      ImportedImage image;
      ASSIGN_OR_RETURN(image.config, oci::ImageConfig::Parse(ctext));
      oci::Manifest& m = image.parsed_manifest;
      m.media_type = std::string(oci::kOciManifest);
      m.config.media_type = std::string(oci::kOciConfig);
      m.config.digest = cm->digest;
      m.config.size = cm->size;
      for (const std::string& path : layer_paths) {
        Member* lm = Find(CleanName(path));
        if (lm == nullptr) {
          return absl::NotFoundError(absl::StrCat(what, ": layer \"", path,
                                                  "\" is not in the archive"));
        }
        oci::Descriptor d;
        d.media_type = std::string(
            lm->compression == Compression::kGzip   ? oci::kOciLayerTarGzip
            : lm->compression == Compression::kZstd ? oci::kOciLayerTarZstd
                                                    : oci::kOciLayerTar);
        d.digest = lm->digest;
        d.size = lm->size;
        m.layers.push_back(d);
      }
      RETURN_IF_ERROR(CheckLayers(m, image.config, what));
      std::string mbytes = m.ToJson();
      ASSIGN_OR_RETURN(Digest md, PutBlob(sink_, mbytes));
      image.manifest.media_type = m.media_type;
      image.manifest.digest = md;
      image.manifest.size = mbytes.size();
      image.names = tags;
      result->images.push_back(std::move(image));
    }
    return absl::OkStatus();
  }

  BlobSink& sink_;
  const ImportOptions& options_;
  int64_t memory_ = 0;
  std::map<std::string, std::unique_ptr<Member>> members_;
  std::map<std::string, std::string> links_;
};

}  // namespace

absl::StatusOr<ImportResult> ImportArchive(ByteReader* in, BlobSink& sink,
                                           const ImportOptions& options) {
  Importer importer(sink, options);
  RETURN_IF_ERROR(importer.ReadArchive(in));
  return importer.Resolve();
}

}  // namespace farm::image::archive
