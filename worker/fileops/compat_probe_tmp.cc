// TEMPORARY ad-hoc probe (not for commit): replays the COPY/ADD/WORKDIR of
// a compat case through the snapshot store and file ops, writing layer tars.
#include <iostream>
#include <variant>

#include "cache/memory_blob_store.h"
#include "common/fs.h"
#include "dockerfile/dockerfile.h"
#include "image/layer/layer_writer.h"
#include "worker/fileops/file_op.h"
#include "worker/snapshot/snapshot_store.h"

using namespace farm;

int main(int argc, char** argv) {
  std::string context = argv[1], base_tar = argv[2], out = argv[3];
  auto df = dockerfile::ParseDockerfile(*ReadFile(context + "/Dockerfile"),
                                        "Dockerfile");
  if (!df.ok()) {
    std::cout << "PARSE " << df.status() << "\n";
    return 1;
  }
  const dockerfile::Stage& stage = df->stages.back();
  cache::MemoryBlobStore blobs;
  snapshot::SnapshotStoreOptions so;
  so.root = out + "/store";
  auto store = *snapshot::SnapshotStore::Open(so, &blobs);
  std::vector<proto::LayerRef> chain;
  if (stage.base != "scratch") {
    std::string tar = *ReadFile(base_tar);
    (void)cache::PutBlob(blobs, tar);
    proto::LayerRef ref;
    ref.set_digest(Digest::Of(tar).ToString());
    ref.set_diff_id(Digest::Of(tar).ToString());
    chain.push_back(ref);
  }
  std::string workdir = "/";
  auto tree = *fileops::DirectoryTree::Open(context);
  int n = 0;
  for (const auto& inst : stage.instructions) {
    fileops::FileOp op;
    bool layer = false;
    bool from_image = false;
    bool mk = false;
    if (auto* c = std::get_if<dockerfile::CopyInstruction>(&inst.value)) {
      from_image = !c->from.empty();
      op = fileops::FileOpForCopy(*c, workdir, !from_image);
      layer = true;
    } else if (auto* a = std::get_if<dockerfile::AddInstruction>(&inst.value)) {
      op = fileops::FileOpForAdd(*a, workdir);
      layer = true;
    } else if (auto* w =
                   std::get_if<dockerfile::WorkdirInstruction>(&inst.value)) {
      workdir =
          CleanPath(w->path[0] == '/' ? w->path : workdir + "/" + w->path);
      layer = true;
      mk = true;
    } else if (std::holds_alternative<dockerfile::RunInstruction>(inst.value)) {
      std::cout << "STOP at RUN\n";
      return 0;
    }
    if (!layer) continue;
    auto ws = *store->Mount(chain);
    if (mk) {
      auto root = *fileops::RootFs::Open(ws->rootfs());
      auto rel = *root.Resolve(workdir, true);
      (void)root.MkdirAll(rel, std::nullopt);
    } else {
      std::unique_ptr<snapshot::Workspace> src;
      std::optional<fileops::DirectoryTree> other;
      if (from_image) { src = *store->Mount({chain[0]}); other.emplace(*fileops::DirectoryTree::Open(src->rootfs())); }
      auto r = fileops::RunFileOp(op, from_image ? &*other : &tree, ws->rootfs());
      if (!r.ok()) {
        std::cout << "LAYER " << n << " ERROR " << r.status() << "\n";
        return 0;
      }
    }
    std::string blob;
    StringWriter sink(&blob);
    image::layer::LayerWriterOptions wo;
    wo.compression = image::compress::Compression::kNone;
    auto info = *image::layer::WriteLayer(ws->upper(), &sink, wo);
    (void)WriteFile(out + "/layer-" + std::to_string(n) + ".tar", blob);
    (void)cache::PutBlob(blobs, blob);
    (void)ws->Commit(info.diff_id);
    proto::LayerRef ref;
    ref.set_digest(info.digest.ToString());
    ref.set_diff_id(info.diff_id.ToString());
    chain.push_back(ref);
    std::cout << "LAYER " << n++ << " OK\n";
  }
  return 0;
}
