#include "worker/stage_test_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/io.h"
#include "common/status_macros.h"
#include "dockerfile/dockerfile.h"
#include "dockerfile/dockerignore.h"
#include "image/compress/decompressor.h"
#include "image/layer/layer_writer.h"
#include "image/oci/config.h"
#include "image/tar/tar_reader.h"
#include "planner/cache_keys.h"
#include "planner/planner.h"
#include "planner/source_key.h"
#include "planner/stage_job.h"
#include "tests/fixtures/busybox_rootfs.h"

namespace farm::worker::testing {
namespace {

using Json = nlohmann::json;

class ImagesResolver : public planner::BaseImageResolver {
 public:
  explicit ImagesResolver(
      const std::map<std::string, proto::ImageContent>& images)
      : images_(images) {}
  absl::StatusOr<std::optional<planner::BaseImage>> Resolve(
      const std::string& reference, const std::string&) override {
    auto it = images_.find(reference);
    if (it == images_.end()) {
      return absl::NotFoundError(absl::StrCat("no image ", reference));
    }
    ASSIGN_OR_RETURN(image::oci::ImageConfig config,
                     image::oci::ImageConfig::Parse(it->second.config()));
    return planner::BaseImage{config.config.env, config.config.on_build};
  }

 private:
  const std::map<std::string, proto::ImageContent>& images_;
};

absl::StatusOr<planner::PlannedBuild> PlanTestBuild(const TestBuild& build) {
  ASSIGN_OR_RETURN(dockerfile::Dockerfile df,
                   dockerfile::ParseDockerfile(build.dockerfile, "Dockerfile"));
  ImagesResolver resolver(build.images);
  planner::PlanOptions options;
  options.target = build.target;
  options.build_args = build.build_args;
  options.resolver = &resolver;
  return planner::PlanBuild(df, options);
}

std::vector<std::string> DiffIds(
    const google::protobuf::RepeatedPtrField<proto::LayerRef>& layers) {
  std::vector<std::string> out;
  for (const proto::LayerRef& layer : layers) out.push_back(layer.diff_id());
  return out;
}

absl::Status Walk(const std::string& root, const std::string& rel,
                  const dockerfile::IgnoreMatcher& ignore,
                  cache::BlobStore& blobs, proto::ContextManifest& out) {
  const std::string dir = rel.empty() ? root : JoinPath(root, rel);
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
  for (const std::string& name : names) {
    const std::string child = rel.empty() ? name : absl::StrCat(rel, "/", name);
    const std::string path = JoinPath(root, child);
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, path);
    bool ignored = ignore.Matches(child);
    if (S_ISDIR(st.st_mode)) {
      if (ignored && ignore.CanSkipDir(child)) continue;
      if (!ignored) {
        proto::ContextEntry* entry = out.add_entries();
        entry->set_path(child);
        entry->set_type(proto::ContextEntry::DIRECTORY);
        entry->set_mode(st.st_mode & 07777);
        entry->set_mtime_unix_nanos(st.st_mtim.tv_sec * 1000000000LL +
                                    st.st_mtim.tv_nsec);
      }
      RETURN_IF_ERROR(Walk(root, child, ignore, blobs, out));
      continue;
    }
    if (ignored || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) continue;
    proto::ContextEntry* entry = out.add_entries();
    entry->set_path(child);
    entry->set_mode(st.st_mode & 07777);
    entry->set_uid(st.st_uid);
    entry->set_gid(st.st_gid);
    entry->set_mtime_unix_nanos(st.st_mtim.tv_sec * 1000000000LL +
                                st.st_mtim.tv_nsec);
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlink(path.c_str(), target, sizeof(target));
      if (n < 0) return ErrnoStatus(errno, path);
      entry->set_type(proto::ContextEntry::SYMLINK);
      entry->set_link_target(std::string(target, n));
      continue;
    }
    ASSIGN_OR_RETURN(std::string data, ReadFile(path));
    RETURN_IF_ERROR(cache::PutBlob(blobs, data));
    entry->set_type(proto::ContextEntry::FILE);
    entry->set_size(data.size());
    entry->set_digest(Digest::Of(data).ToString());
  }
  return absl::OkStatus();
}

std::string CleanAbsolute(absl::string_view name) {
  std::string clean = CleanPath(absl::StrCat("/", name));
  return clean;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestWorker>> TestWorker::Create(
    const std::string& dir, executor::Executor* executor) {
  auto worker = std::unique_ptr<TestWorker>(new TestWorker);
  worker->dir_ = dir;
  cache::RocksDbCache::Options cache_options;
  cache_options.root = JoinPath(dir, "cache");
  ASSIGN_OR_RETURN(worker->cache_, cache::RocksDbCache::Open(cache_options));
  RunnerStackOptions options;
  options.root = dir;
  options.executor = executor;
  ASSIGN_OR_RETURN(worker->stack_,
                   RunnerStack::Create(options, worker->cache_->blobs(),
                                       worker->cache_->actions()));
  return worker;
}

TestWorker::~TestWorker() {
  stack_.reset();
  cache_.reset();
}

void RecordingSink::Emit(const proto::BuildEvent& event) {
  absl::MutexLock lock(&mu_);
  events_.push_back(event);
}

std::vector<proto::BuildEvent> RecordingSink::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

std::vector<std::string> RecordingSink::Summary() const {
  std::vector<std::string> out;
  for (const proto::BuildEvent& event : events()) {
    std::string line = absl::StrCat(proto::BuildEvent::Kind_Name(event.kind()),
                                    " ", event.instruction_index());
    if (event.kind() == proto::BuildEvent::STEP_LOG) {
      absl::StrAppend(&line, " ", event.stream(), " ", event.text());
    }
    out.push_back(std::move(line));
  }
  return out;
}

absl::StatusOr<proto::ImageContent> PutBusyboxImage(cache::BlobStore& blobs,
                                                    const std::string& tmp) {
  const std::string rootfs = JoinPath(tmp, "busybox-rootfs");
  RETURN_IF_ERROR(MakeDirs(rootfs));
  RETURN_IF_ERROR(fixtures::MakeBusyboxRootfs(rootfs));
  std::string blob;
  StringWriter writer(&blob);
  ASSIGN_OR_RETURN(image::layer::LayerInfo info,
                   image::layer::WriteLayer(rootfs, &writer));
  RETURN_IF_ERROR(cache::PutBlob(blobs, blob));
  RETURN_IF_ERROR(RemoveAll(rootfs));

  image::oci::ImageConfig config;
  const absl::Time created =
      absl::FromUnixSeconds(fixtures::kBusyboxRootfsMtime);
  config.architecture = "amd64";
  config.os = "linux";
  config.created = created;
  config.config.env = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  config.config.cmd = {"sh"};
  config.diff_ids = {info.diff_id};
  image::oci::History history;
  history.created = created;
  history.created_by = "tests/fixtures/make_busybox_image.sh";
  config.history.push_back(history);

  proto::ImageContent image;
  image.set_reference("busybox:latest");
  image.set_config(config.ToJson());
  image.set_manifest_digest(Digest::Of(image.config()).ToString());
  proto::LayerRef* layer = image.add_layers();
  layer->set_digest(info.digest.ToString());
  layer->set_diff_id(info.diff_id.ToString());
  layer->set_size(info.size);
  layer->set_media_type(info.media_type);
  return image;
}

absl::StatusOr<proto::ContextManifest> PutContext(const std::string& dir,
                                                  cache::BlobStore& blobs) {
  ASSIGN_OR_RETURN(dockerfile::IgnoreMatcher ignore,
                   dockerfile::LoadIgnoreFile(dir, ""));
  proto::ContextManifest manifest;
  RETURN_IF_ERROR(Walk(dir, "", ignore, blobs, manifest));
  std::sort(manifest.mutable_entries()->begin(),
            manifest.mutable_entries()->end(),
            [](const proto::ContextEntry& a, const proto::ContextEntry& b) {
              return a.path() < b.path();
            });
  return manifest;
}

absl::StatusOr<proto::StageJob> MakeJob(
    const TestBuild& build, int stage_index,
    const std::map<int, proto::StageOutput>& outputs) {
  ASSIGN_OR_RETURN(planner::PlannedBuild plan, PlanTestBuild(build));
  const proto::PlannedStage* stage = nullptr;
  for (const proto::PlannedStage& s : plan.graph.stages()) {
    if (s.index() == stage_index) stage = &s;
  }
  if (stage == nullptr) return absl::NotFoundError("no such planned stage");
  proto::StageJob job;
  job.set_job_id(absl::StrCat("job-", stage_index));
  job.set_dockerfile_name("Dockerfile");
  job.mutable_build_args()->insert(build.build_args.begin(),
                                   build.build_args.end());
  job.set_target_platform("linux/amd64");
  job.set_stage_index(stage_index);
  ASSIGN_OR_RETURN(planner::Platform target,
                   planner::Platform::Parse("linux/amd64"));
  RETURN_IF_ERROR(planner::DescribeStage(plan, stage_index, target, &job));
  *job.mutable_context() = build.context;
  job.set_no_cache(build.no_cache);
  job.mutable_secrets()->insert(build.secrets.begin(), build.secrets.end());
  if (build.run_limits.ByteSizeLong() > 0) {
    *job.mutable_run_limits() = build.run_limits;
  }
  job.set_attempt(1);

  auto source_layers = [&](const proto::StageRef& ref)
      -> absl::StatusOr<std::vector<std::string>> {
    auto& layers =
        *(*job.mutable_sources())[planner::SourceKey(ref)].mutable_layers();
    if (ref.stage_index() >= 0) {
      auto it = outputs.find(ref.stage_index());
      if (it == outputs.end()) return absl::NotFoundError("stage not built");
      layers = it->second.layers();
      return DiffIds(it->second.layers());
    }
    auto it = build.images.find(ref.image());
    if (it == build.images.end()) return absl::NotFoundError(ref.image());
    layers = it->second.layers();
    return DiffIds(it->second.layers());
  };

  std::string key;
  if (stage->base_stage_index() >= 0) {
    auto it = outputs.find(stage->base_stage_index());
    if (it == outputs.end()) return absl::NotFoundError("base not built");
    job.mutable_base()->set_config(it->second.config());
    *job.mutable_base()->mutable_layers() = it->second.layers();
    key = it->second.final_key();
  } else if (absl::AsciiStrToLower(stage->base()) == "scratch") {
    key = planner::ScratchKey("linux/amd64").ToString();
  } else {
    auto it = build.images.find(stage->base());
    if (it == build.images.end()) return absl::NotFoundError(stage->base());
    job.mutable_base()->set_config(it->second.config());
    *job.mutable_base()->mutable_layers() = it->second.layers();
    key = planner::ImageBaseKey(it->second.manifest_digest(), "linux/amd64")
              .ToString();
  }
  job.add_keys(key);
  const Digest context_digest = Digest::Of(build.context.SerializeAsString());
  const auto& typed = plan.instructions.at(stage_index);
  for (int i = 0; i < stage->instructions_size(); ++i) {
    const proto::PlannedInstruction& in = stage->instructions(i);
    std::string material = absl::StrCat(key, "\n", in.text(), "\n");
    std::map<std::string, std::string> args(in.build_args().begin(),
                                            in.build_args().end());
    for (const auto& [name, value] : args) {
      absl::StrAppend(&material, name, "=", value, "\n");
    }
    if (!planner::ContextPaths(typed[i]).empty()) {
      absl::StrAppend(&material, context_digest.ToString(), "\n");
    }
    for (const proto::StageRef& ref : in.sources()) {
      ASSIGN_OR_RETURN(std::vector<std::string> ids, source_layers(ref));
      absl::StrAppend(&material, planner::LayersDigest(ids).ToString(), "\n");
    }
    key = Digest::Of(material).ToString();
    job.add_keys(key);
  }
  return job;
}

absl::StatusOr<std::map<int, proto::StageOutput>> RunBuild(
    StageRunner& runner, const TestBuild& build, EventSink& events,
    int* target_index) {
  ASSIGN_OR_RETURN(planner::PlannedBuild plan, PlanTestBuild(build));
  std::map<int, proto::StageOutput> outputs;
  executor::Cancellation cancel;
  for (const proto::PlannedStage& stage : plan.graph.stages()) {
    ASSIGN_OR_RETURN(proto::StageJob job,
                     MakeJob(build, stage.index(), outputs));
    ASSIGN_OR_RETURN(outputs[stage.index()], runner.Run(job, events, cancel));
  }
  if (target_index != nullptr) *target_index = plan.graph.target_index();
  return outputs;
}

absl::StatusOr<Json> LayerEntries(cache::BlobStore& blobs,
                                  const proto::LayerRef& layer) {
  ASSIGN_OR_RETURN(Digest digest, Digest::Parse(layer.digest()));
  ASSIGN_OR_RETURN(std::unique_ptr<ByteReader> blob, blobs.Get(digest));
  image::compress::DecompressingReader tar_stream(std::move(blob));
  image::tar::TarReader reader(&tar_stream);
  Json entries = Json::array();
  image::tar::TarEntry entry;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader.Next(&entry));
    if (!more) break;
    const std::string path = CleanAbsolute(entry.name);
    const std::string base = BaseName(path);
    if (base == ".wh..wh..opq") {
      entries.push_back({{"path", DirName(path)}, {"type", "opaque"}});
      continue;
    }
    if (absl::StartsWith(base, ".wh.")) {
      entries.push_back({{"path", JoinPath(DirName(path), base.substr(4))},
                         {"type", "whiteout"}});
      continue;
    }
    if (path == "/") continue;
    Json e = {{"path", path},
              {"mode", absl::StrFormat("%04o", entry.mode & 07777)},
              {"uid", entry.uid},
              {"gid", entry.gid}};
    switch (entry.type) {
      case image::tar::TarType::kRegular: {
        e["type"] = "file";
        ASSIGN_OR_RETURN(std::string data, ReadAll(reader));
        e["size"] = data.size();
        e["sha256"] = Digest::Of(data).hex();
        break;
      }
      case image::tar::TarType::kDirectory:
        e["type"] = "dir";
        break;
      case image::tar::TarType::kSymlink:
        e["type"] = "symlink";
        e["link"] = entry.linkname;
        break;
      case image::tar::TarType::kHardlink:
        e["type"] = "hardlink";
        e["link"] = CleanAbsolute(entry.linkname);
        break;
      case image::tar::TarType::kCharDevice:
      case image::tar::TarType::kBlockDevice:
        e["type"] =
            entry.type == image::tar::TarType::kCharDevice ? "char" : "block";
        e["devmajor"] = entry.devmajor;
        e["devminor"] = entry.devminor;
        break;
      case image::tar::TarType::kFifo:
        e["type"] = "fifo";
        break;
    }
    if (!entry.xattrs.empty()) e["xattrs"] = entry.xattrs;
    entries.push_back(std::move(e));
  }
  std::vector<Json> sorted(entries.begin(), entries.end());
  std::stable_sort(
      sorted.begin(), sorted.end(), [](const Json& a, const Json& b) {
        return a["path"].get<std::string>() < b["path"].get<std::string>();
      });
  return Json(sorted);
}

void StageRunnerFixture::SetUp() {
  absl::StatusOr<std::string> dir = MakeTempDir("stage-runner");
  ASSERT_TRUE(dir.ok()) << dir.status();
  dir_ = *dir;
  absl::StatusOr<std::unique_ptr<TestWorker>> worker =
      TestWorker::Create(JoinPath(dir_, "worker"), executor());
  ASSERT_TRUE(worker.ok()) << worker.status();
  worker_ = *std::move(worker);
  absl::StatusOr<proto::ImageContent> busybox =
      PutBusyboxImage(worker_->blobs(), dir_);
  ASSERT_TRUE(busybox.ok()) << busybox.status();
  busybox_ = *busybox;
}

void StageRunnerFixture::TearDown() {
  worker_.reset();
  RemoveAll(dir_).IgnoreError();
}

}  // namespace farm::worker::testing
