// StageRunner with real runc, overlayfs and RocksDB: layers, config,
// events, cache hits, failures and cancellation.
#include "worker/stage_runner.h"

#include <sys/stat.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/oci/config.h"
#include "worker/stage_test_util.h"

namespace farm::worker {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Json = nlohmann::json;

class StageRunnerTest : public testing::StageRunnerFixture {
 protected:
  // A build of `dockerfile` over busybox:latest, with `files` as context.
  testing::TestBuild Build(
      const std::string& dockerfile,
      const std::map<std::string, std::string>& files = {}) {
    testing::TestBuild build;
    build.dockerfile = dockerfile;
    build.images["busybox:latest"] = busybox_;
    const std::string context =
        JoinPath(dir_, absl::StrCat("context", ++contexts_));
    EXPECT_TRUE(MakeDirs(context).ok());
    for (const auto& [name, data] : files) {
      EXPECT_TRUE(MakeDirs(DirName(JoinPath(context, name))).ok());
      EXPECT_TRUE(WriteFile(JoinPath(context, name), data).ok());
    }
    absl::StatusOr<proto::ContextManifest> manifest =
        testing::PutContext(context, worker_->blobs());
    EXPECT_TRUE(manifest.ok()) << manifest.status();
    build.context = *manifest;
    return build;
  }

  absl::StatusOr<proto::StageOutput> RunTarget(const testing::TestBuild& build,
                                               testing::RecordingSink& events) {
    int target = 0;
    absl::StatusOr<std::map<int, proto::StageOutput>> outputs =
        testing::RunBuild(worker_->runner(), build, events, &target);
    if (!outputs.ok()) return outputs.status();
    return outputs->at(target);
  }

  // The entries of the output's layer `index` (0 is the base).
  Json Layer(const proto::StageOutput& output, int index) {
    absl::StatusOr<Json> entries =
        testing::LayerEntries(worker_->blobs(), output.layers(index));
    EXPECT_TRUE(entries.ok()) << entries.status();
    return entries.ok() ? *entries : Json();
  }

  int contexts_ = 0;
};

Json Entry(const std::string& path, const std::string& type,
           const std::string& mode, int uid, int gid) {
  return {{"path", path},
          {"type", type},
          {"mode", mode},
          {"uid", uid},
          {"gid", gid}};
}

Json File(const std::string& path, const std::string& mode, int uid, int gid,
          const std::string& data) {
  Json e = Entry(path, "file", mode, uid, gid);
  e["size"] = data.size();
  e["sha256"] = Digest::Of(data).hex();
  return e;
}

TEST_F(StageRunnerTest, BuildsLayersConfigAndEvents) {
  testing::TestBuild build = Build(
      "FROM busybox:latest\n"
      "ENV GREETING=hello\n"
      "WORKDIR /app\n"
      "COPY hello.txt .\n"
      "RUN echo \"$GREETING from $(id -un)\" > out.txt && echo logged && "
      "echo oops >&2\n"
      "USER app\n"
      "RUN touch /tmp/by-app\n"
      "CMD [\"cat\", \"/app/out.txt\"]\n",
      {{"hello.txt", "hi there\n"}});
  testing::RecordingSink events;
  absl::StatusOr<proto::StageOutput> output = RunTarget(build, events);
  ASSERT_TRUE(output.ok()) << output.status();

  ASSERT_EQ(output->layers_size(), 5);
  EXPECT_EQ(output->layers(0).digest(), busybox_.layers(0).digest());
  EXPECT_EQ(Layer(*output, 1),
            Json::array({Entry("/app", "dir", "0755", 0, 0)}));
  EXPECT_EQ(Layer(*output, 2),
            Json::array({Entry("/app", "dir", "0755", 0, 0),
                         File("/app/hello.txt", "0644", 0, 0, "hi there\n")}));
  EXPECT_EQ(
      Layer(*output, 3),
      Json::array({Entry("/app", "dir", "0755", 0, 0),
                   File("/app/out.txt", "0644", 0, 0, "hello from root\n")}));
  EXPECT_EQ(Layer(*output, 4),
            Json::array({Entry("/tmp", "dir", "1777", 0, 0),
                         File("/tmp/by-app", "0644", 1000, 1000, "")}));

  absl::StatusOr<image::oci::ImageConfig> config =
      image::oci::ImageConfig::Parse(output->config());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->config.user, "app");
  EXPECT_EQ(config->config.working_dir, "/app");
  EXPECT_THAT(config->config.cmd, ElementsAre("cat", "/app/out.txt"));
  ASSERT_EQ(config->diff_ids.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(config->diff_ids[i].ToString(), output->layers(i).diff_id());
  }
  std::vector<std::string> history;
  for (const auto& h : config->history) history.push_back(h.created_by);
  EXPECT_THAT(
      history,
      ElementsAre("tests/fixtures/make_busybox_image.sh", "ENV GREETING=hello",
                  "WORKDIR /app", "COPY hello.txt . # buildkit",
                  "RUN /bin/sh -c echo \"$GREETING from $(id -un)\" > "
                  "out.txt && echo logged && echo oops >&2 # buildkit",
                  "USER app", "RUN /bin/sh -c touch /tmp/by-app # buildkit",
                  "CMD [\"cat\" \"/app/out.txt\"]"));

  std::vector<std::string> summary = events.Summary();
  EXPECT_THAT(summary, Contains("STEP_LOG 4 1 logged"));
  EXPECT_THAT(summary, Contains("STEP_LOG 4 2 oops"));
  int done = 0;
  for (const proto::BuildEvent& event : events.events()) {
    EXPECT_EQ(event.instruction_count(), 8);
    EXPECT_EQ(event.stage_name(), "0");
    if (event.kind() == proto::BuildEvent::STEP_DONE) ++done;
    if (event.kind() == proto::BuildEvent::STEP_STARTED &&
        event.instruction_index() == 0) {
      EXPECT_EQ(event.text(), "FROM busybox:latest");
    }
  }
  EXPECT_EQ(done, 8);

  // Every key is in the action cache.
  absl::StatusOr<proto::StageJob> job = testing::MakeJob(build, 0, {});
  ASSERT_TRUE(job.ok());
  for (int i = 1; i < job->keys_size(); ++i) {
    absl::StatusOr<proto::ActionResult> result =
        worker_->actions().Get(*Digest::Parse(job->keys(i)));
    ASSERT_TRUE(result.ok()) << i << ": " << result.status();
  }
  absl::StatusOr<proto::ActionResult> last =
      worker_->actions().Get(*Digest::Parse(job->keys(7)));
  EXPECT_EQ(last->config(), output->config());
  EXPECT_TRUE(last->empty_layer());
  EXPECT_EQ(last->created_by(), "CMD [\"cat\" \"/app/out.txt\"]");
}

TEST_F(StageRunnerTest, SecondRunIsCachedAndNoCacheRebuildsTheSameBytes) {
  testing::TestBuild build = Build(
      "FROM busybox:latest\nCOPY a.txt /a.txt\nRUN echo made > /made\n"
      "LABEL x=y\n",
      {{"a.txt", "a\n"}});
  build.build_args["SOURCE_DATE_EPOCH"] = "1700000000";
  testing::RecordingSink first_events;
  absl::StatusOr<proto::StageOutput> first = RunTarget(build, first_events);
  ASSERT_TRUE(first.ok()) << first.status();

  testing::RecordingSink cached_events;
  absl::StatusOr<proto::StageOutput> cached = RunTarget(build, cached_events);
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_THAT(cached_events.Summary(),
              ElementsAre("STEP_STARTED 0", "STEP_DONE 0", "STEP_STARTED 1",
                          "STEP_CACHED 1", "STEP_STARTED 2", "STEP_CACHED 2",
                          "STEP_STARTED 3", "STEP_CACHED 3"));
  EXPECT_EQ(cached->SerializeAsString(), first->SerializeAsString());

  build.no_cache = true;
  testing::RecordingSink rebuilt_events;
  absl::StatusOr<proto::StageOutput> rebuilt = RunTarget(build, rebuilt_events);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  for (const std::string& line : rebuilt_events.Summary()) {
    EXPECT_THAT(line, Not(HasSubstr("CACHED")));
  }
  EXPECT_EQ(rebuilt->SerializeAsString(), first->SerializeAsString());
  absl::StatusOr<image::oci::ImageConfig> config =
      image::oci::ImageConfig::Parse(rebuilt->config());
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->created, absl::FromUnixSeconds(1700000000));
}

TEST_F(StageRunnerTest, MissingLayerBlobIsAMissAndRepaired) {
  testing::TestBuild build = Build("FROM busybox:latest\nRUN echo x > /x\n");
  testing::RecordingSink events;
  absl::StatusOr<proto::StageOutput> first = RunTarget(build, events);
  ASSERT_TRUE(first.ok()) << first.status();
  Digest layer = *Digest::Parse(first->layers(1).digest());
  ASSERT_TRUE(worker_->blobs().Delete(layer).ok());

  testing::RecordingSink again;
  absl::StatusOr<proto::StageOutput> second = RunTarget(build, again);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(again.Summary(), Contains("STEP_DONE 1"));
  EXPECT_TRUE(
      worker_->blobs().Stat(*Digest::Parse(second->layers(1).digest())).ok());
}

TEST_F(StageRunnerTest, JobThatCarriesItsLookupIsNotAskedAgain) {
  testing::TestBuild build =
      Build("FROM busybox:latest\nLABEL a=b\nRUN echo x > /x\n");
  testing::RecordingSink events;
  absl::StatusOr<proto::StageOutput> first = RunTarget(build, events);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<proto::StageJob> job = testing::MakeJob(build, 0, {});
  ASSERT_TRUE(job.ok()) << job.status();
  absl::StatusOr<proto::ActionResult> label =
      worker_->actions().Get(*Digest::Parse(job->keys(1)));
  ASSERT_TRUE(label.ok());

  // The scheduler found only the LABEL: the RUN, though in the worker's
  // action cache, runs, since the job says it missed.
  job->set_looked_up(true);
  (*job->mutable_cached())[1] = *label;
  executor::Cancellation cancel;
  testing::RecordingSink told;
  absl::StatusOr<proto::StageOutput> output =
      worker_->runner().Run(*job, told, cancel);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_THAT(told.Summary(), Contains("STEP_CACHED 1"));
  EXPECT_THAT(told.Summary(), Contains("STEP_DONE 2"));

  // A carried hit whose layer is gone is a miss.
  absl::StatusOr<proto::ActionResult> run =
      worker_->actions().Get(*Digest::Parse(job->keys(2)));
  ASSERT_TRUE(run.ok());
  (*job->mutable_cached())[2] = *run;
  ASSERT_TRUE(
      worker_->blobs().Delete(*Digest::Parse(run->layer().digest())).ok());
  testing::RecordingSink gone;
  output = worker_->runner().Run(*job, gone, cancel);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_THAT(gone.Summary(), Contains("STEP_DONE 2"));
}

TEST_F(StageRunnerTest, CorruptCachedConfigIsAMissAndRepaired) {
  testing::TestBuild build = Build("FROM busybox:latest\nLABEL a=b\n");
  absl::StatusOr<proto::StageJob> job = testing::MakeJob(build, 0, {});
  ASSERT_TRUE(job.ok());
  const Digest key = *Digest::Parse(job->keys(1));
  proto::ActionResult bad;
  bad.set_empty_layer(true);
  bad.set_config("{not json");
  ASSERT_TRUE(worker_->actions().Update(key, bad).ok());

  testing::RecordingSink events;
  absl::StatusOr<proto::StageOutput> output = RunTarget(build, events);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_THAT(events.Summary(), Contains("STEP_DONE 1"));
  absl::StatusOr<proto::ActionResult> repaired = worker_->actions().Get(key);
  ASSERT_TRUE(repaired.ok());
  EXPECT_EQ(repaired->config(), output->config());
}

TEST_F(StageRunnerTest, FailingRunNamesLineInstructionExitCodeAndOutput) {
  testing::TestBuild build = Build(
      "FROM busybox:latest\nRUN echo before-failing && exit 3\nRUN true\n");
  testing::RecordingSink events;
  absl::StatusOr<proto::StageOutput> output = RunTarget(build, events);
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(output.status().message(),
            "Dockerfile:2: RUN echo before-failing && exit 3: exit code 3\n"
            "before-failing");
  std::vector<proto::BuildEvent> all = events.events();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().kind(), proto::BuildEvent::STEP_ERROR);
  EXPECT_EQ(all.back().instruction_index(), 1);
  EXPECT_EQ(all.back().text(), output.status().message());
  absl::StatusOr<proto::StageJob> job = testing::MakeJob(build, 0, {});
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(
      worker_->actions().Get(*Digest::Parse(job->keys(1))).status().code(),
      absl::StatusCode::kNotFound);
}

TEST_F(StageRunnerTest, RunKilledAtALimitSaysWhichAndCachesNothing) {
  struct Case {
    const char* run;
    proto::RunLimits limits;
    const char* message;
  };
  proto::RunLimits memory;
  memory.set_memory_bytes(32 << 20);
  proto::RunLimits disk;  // counted in the workspace's upper dir
  disk.set_disk_bytes(4 << 20);
  const Case cases[] = {
      {"RUN echo hog && x=aaaaaaaaaaaaaaaa && while true; do x=\"$x$x\"; done",
       memory,
       "Dockerfile:2: RUN echo hog && x=aaaaaaaaaaaaaaaa && while true; do "
       "x=\"$x$x\"; done was killed: memory limit 32 MiB reached\nhog"},
      {"RUN head -c 8388608 /dev/zero > /big", disk,
       "Dockerfile:2: RUN head -c 8388608 /dev/zero > /big was killed: disk "
       "budget 4 MiB reached"},
  };
  for (const Case& c : cases) {
    testing::TestBuild build =
        Build(absl::StrCat("FROM busybox:latest\n", c.run, "\n"));
    build.run_limits = c.limits;
    testing::RecordingSink events;
    absl::StatusOr<proto::StageOutput> output = RunTarget(build, events);
    EXPECT_EQ(output.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(output.status().message(), c.message);
    std::vector<proto::BuildEvent> all = events.events();
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.back().kind(), proto::BuildEvent::STEP_ERROR);
    EXPECT_EQ(all.back().text(), c.message);
    absl::StatusOr<proto::StageJob> job = testing::MakeJob(build, 0, {});
    ASSERT_TRUE(job.ok());
    EXPECT_EQ(
        worker_->actions().Get(*Digest::Parse(job->keys(1))).status().code(),
        absl::StatusCode::kNotFound);
  }
}

TEST_F(StageRunnerTest, UnknownUserAndRequiredSecretFailClearly) {
  testing::RecordingSink events;
  absl::StatusOr<proto::StageOutput> user =
      RunTarget(Build("FROM busybox:latest\nUSER nosuch\nRUN true\n"), events);
  EXPECT_EQ(user.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(user.status().message(),
            "Dockerfile:3: RUN true: unable to find user nosuch: no matching "
            "entries in passwd file");

  absl::StatusOr<proto::StageOutput> secret =
      RunTarget(Build("FROM busybox:latest\n"
                      "RUN --mount=type=secret,id=token,required=true cat "
                      "/run/secrets/token\n"),
                events);
  EXPECT_EQ(secret.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(secret.status().message(), HasSubstr("Dockerfile:2: RUN"));
  EXPECT_THAT(secret.status().message(), HasSubstr("secret \"token\""));

  absl::StatusOr<proto::StageOutput> optional = RunTarget(
      Build("FROM busybox:latest\n"
            "RUN --mount=type=secret,id=token test ! -e /run/secrets/token\n"),
      events);
  EXPECT_TRUE(optional.ok()) << optional.status();
}

TEST_F(StageRunnerTest, SecretsAsFilesAndVariablesLeaveNoTrace) {
  testing::TestBuild build = Build(
      "FROM busybox:latest\n"
      "RUN --mount=type=secret,id=token,mode=0440,uid=1000,gid=1000 "
      "stat -c '%a %u:%g' /run/secrets/token > /meta && "
      "cp /run/secrets/token /copied\n"
      "RUN --mount=type=secret,id=token,env=TOKEN echo \"[$TOKEN]\" > /env "
      "&& test ! -e /run/secrets/token\n");
  build.secrets["token"] = "value-1";
  testing::RecordingSink events;
  absl::StatusOr<proto::StageOutput> output = RunTarget(build, events);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(Layer(*output, 1),
            Json::array({File("/copied", "0440", 0, 0, "value-1"),
                         File("/meta", "0644", 0, 0, "440 1000:1000\n"),
                         Entry("/run", "dir", "0755", 0, 0),
                         Entry("/run/secrets", "dir", "0755", 0, 0)}));
  EXPECT_EQ(Layer(*output, 2),
            Json::array({File("/env", "0644", 0, 0, "[value-1]\n")}));
}

TEST_F(StageRunnerTest, MultiStageCopyFromAndRunMounts) {
  testing::TestBuild build = Build(
      "FROM busybox:latest AS helper\n"
      "RUN mkdir /out && echo from-helper > /out/h.txt\n"
      "FROM busybox:latest\n"
      "RUN --mount=type=bind,source=a.txt,target=/mnt/a.txt cp /mnt/a.txt /a\n"
      "RUN --mount=type=bind,from=helper,source=/out,target=/helper "
      "cp /helper/h.txt /h\n"
      "COPY --from=helper /out/h.txt /h2\n"
      "RUN --mount=type=cache,target=/var/cache/app "
      "echo $(cat /var/cache/app/n 2>/dev/null)x > /var/cache/app/n && "
      "cp /var/cache/app/n /n\n"
      "RUN --mount=type=tmpfs,target=/scratch touch /scratch/gone\n",
      {{"a.txt", "from context\n"}});
  testing::RecordingSink events;
  absl::StatusOr<proto::StageOutput> output = RunTarget(build, events);
  ASSERT_TRUE(output.ok()) << output.status();
  ASSERT_EQ(output->layers_size(), 6);
  // Mount targets stay behind as empty directories, as Docker leaves them.
  EXPECT_EQ(Layer(*output, 1),
            Json::array({File("/a", "0644", 0, 0, "from context\n"),
                         Entry("/mnt", "dir", "0755", 0, 0)}));
  EXPECT_EQ(Layer(*output, 2),
            Json::array({File("/h", "0644", 0, 0, "from-helper\n"),
                         Entry("/helper", "dir", "0755", 0, 0)}));
  EXPECT_EQ(Layer(*output, 3),
            Json::array({File("/h2", "0644", 0, 0, "from-helper\n")}));
  EXPECT_EQ(Layer(*output, 4),
            Json::array({File("/n", "0644", 0, 0, "x\n"),
                         Entry("/var", "dir", "0755", 0, 0),
                         Entry("/var/cache", "dir", "0755", 0, 0),
                         Entry("/var/cache/app", "dir", "0755", 0, 0)}));
  EXPECT_EQ(Layer(*output, 5),
            Json::array({Entry("/scratch", "dir", "0755", 0, 0)}));

  // The cache mount keeps its content for the next build that uses it.
  build.no_cache = true;
  absl::StatusOr<proto::StageOutput> again = RunTarget(build, events);
  ASSERT_TRUE(again.ok()) << again.status();
  Json layer = Layer(*again, 4);
  EXPECT_EQ(layer[0], File("/n", "0644", 0, 0, "xx\n"));
}

// COPY from the context links the mirror's files into the layer's snapshot
// where that gives the same layer; a later context never changes them.
TEST_F(StageRunnerTest, CopyLinksContextFilesThatALaterContextLeavesAlone) {
  const std::string dockerfile =
      "FROM busybox:latest\n"
      "COPY app /app\n"
      "COPY app/a.txt /etc/\n"
      "COPY --chown=1:1 app/sub/b.txt /owned/\n"
      "RUN cat /app/a.txt /app/sub/b.txt /etc/a.txt /owned/b.txt > /seen\n";
  testing::RecordingSink events;
  absl::StatusOr<proto::StageOutput> first = RunTarget(
      Build(dockerfile, {{"app/a.txt", "one\n"}, {"app/sub/b.txt", "two\n"}}),
      events);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->layers_size(), 5);
  EXPECT_EQ(Layer(*first, 1),
            Json::array({Entry("/app", "dir", "0755", 0, 0),
                         File("/app/a.txt", "0644", 0, 0, "one\n"),
                         Entry("/app/sub", "dir", "0755", 0, 0),
                         File("/app/sub/b.txt", "0644", 0, 0, "two\n")}));
  // /etc comes from the base: the link goes into its copied-up dir.
  EXPECT_EQ(Layer(*first, 2),
            Json::array({Entry("/etc", "dir", "0755", 0, 0),
                         File("/etc/a.txt", "0644", 0, 0, "one\n")}));
  EXPECT_EQ(Layer(*first, 3),
            Json::array({Entry("/owned", "dir", "0755", 1, 1),
                         File("/owned/b.txt", "0644", 1, 1, "two\n")}));
  EXPECT_EQ(Layer(*first, 4)[0],
            File("/seen", "0644", 0, 0, "one\ntwo\none\ntwo\n"));

  auto snapshot_file = [&](const proto::StageOutput& output, int index,
                           const std::string& path) {
    absl::StatusOr<Digest> diff_id =
        Digest::Parse(output.layers(index).diff_id());
    EXPECT_TRUE(diff_id.ok());
    return JoinPath(worker_->snapshots().LayerPath(*diff_id), path);
  };
  struct stat st;
  const std::string linked = snapshot_file(*first, 1, "app/a.txt");
  ASSERT_EQ(lstat(linked.c_str(), &st), 0);
  EXPECT_GE(st.st_nlink, 2u) << "not linked from the context mirror";
  ASSERT_EQ(lstat(snapshot_file(*first, 2, "etc/a.txt").c_str(), &st), 0);
  EXPECT_GE(st.st_nlink, 2u);
  ASSERT_EQ(lstat(snapshot_file(*first, 3, "owned/b.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u) << "a chowned copy cannot share the inode";

  // The next context changes a.txt's content and b.txt's mode; the mirror
  // takes both, the first build's snapshots neither.
  testing::TestBuild second =
      Build(dockerfile, {{"app/a.txt", "ONE\n"}, {"app/sub/b.txt", "two\n"}});
  const std::string context =
      JoinPath(dir_, absl::StrCat("context", contexts_));
  ASSERT_EQ(chmod(JoinPath(context, "app/sub/b.txt").c_str(), 0600), 0);
  absl::StatusOr<proto::ContextManifest> manifest =
      testing::PutContext(context, worker_->blobs());
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  second.context = *manifest;
  absl::StatusOr<proto::StageOutput> again = RunTarget(second, events);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Layer(*again, 1),
            Json::array({Entry("/app", "dir", "0755", 0, 0),
                         File("/app/a.txt", "0644", 0, 0, "ONE\n"),
                         Entry("/app/sub", "dir", "0755", 0, 0),
                         File("/app/sub/b.txt", "0600", 0, 0, "two\n")}));
  EXPECT_EQ(*ReadFile(linked), "one\n");
  const std::string b = snapshot_file(*first, 1, "app/sub/b.txt");
  ASSERT_EQ(lstat(b.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(StageRunnerTest, CacheMountFromAStageStartsAsItsCopy) {
  testing::TestBuild build = Build(
      "FROM busybox:latest AS seed\n"
      "RUN mkdir /deps && echo seeded > /deps/s.txt\n"
      "FROM busybox:latest\n"
      "RUN --mount=type=cache,id=seeded,from=seed,source=/deps,target=/c "
      "cat /c/s.txt > /first && echo more > /c/more.txt\n"
      "RUN --mount=type=cache,id=seeded,from=seed,source=/deps,target=/c "
      "cat /c/more.txt > /second\n");
  testing::RecordingSink events;
  absl::StatusOr<proto::StageOutput> output = RunTarget(build, events);
  ASSERT_TRUE(output.ok()) << output.status();
  ASSERT_EQ(output->layers_size(), 3);
  // The first use copies the seed; the second sees what the first added
  // rather than a fresh copy.
  EXPECT_EQ(Layer(*output, 1),
            Json::array({Entry("/c", "dir", "0755", 0, 0),
                         File("/first", "0644", 0, 0, "seeded\n")}));
  EXPECT_EQ(Layer(*output, 2)[0], File("/second", "0644", 0, 0, "more\n"));
}

TEST_F(StageRunnerTest, CancelStopsARunningContainer) {
  testing::TestBuild build = Build("FROM busybox:latest\nRUN sleep 60\n");
  absl::StatusOr<proto::StageJob> job = testing::MakeJob(build, 0, {});
  ASSERT_TRUE(job.ok()) << job.status();

  // Cancels shortly after the RUN starts.
  class CancellingSink : public EventSink {
   public:
    explicit CancellingSink(executor::Cancellation* cancel) : cancel_(cancel) {}
    ~CancellingSink() override {
      if (thread_.joinable()) thread_.join();
    }
    void Emit(const proto::BuildEvent& event) override {
      if (event.kind() == proto::BuildEvent::STEP_STARTED &&
          event.instruction_index() == 1) {
        thread_ = std::thread([this] {
          absl::SleepFor(absl::Milliseconds(500));
          cancel_->Cancel();
        });
      }
    }

   private:
    executor::Cancellation* cancel_;
    std::thread thread_;
  };
  executor::Cancellation cancel;
  CancellingSink sink(&cancel);
  const absl::Time start = absl::Now();
  absl::StatusOr<proto::StageOutput> output =
      worker_->runner().Run(*job, sink, cancel);
  EXPECT_EQ(output.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  absl::StatusOr<std::vector<std::string>> work =
      ListDir(JoinPath(worker_->dir(), "snapshots/work"));
  ASSERT_TRUE(work.ok()) << work.status();
  EXPECT_THAT(*work, IsEmpty());
  absl::StatusOr<std::vector<std::string>> scratch =
      ListDir(JoinPath(worker_->dir(), "scratch"));
  ASSERT_TRUE(scratch.ok());
  EXPECT_THAT(*scratch, IsEmpty());
}

TEST_F(StageRunnerTest, JobWhoseKeysDoNotMatchItsStageFails) {
  testing::TestBuild build = Build("FROM busybox:latest\nRUN true\n");
  absl::StatusOr<proto::StageJob> job = testing::MakeJob(build, 0, {});
  ASSERT_TRUE(job.ok());
  job->add_keys(job->keys(1));
  testing::RecordingSink events;
  executor::Cancellation cancel;
  absl::StatusOr<proto::StageOutput> output =
      worker_->runner().Run(*job, events, cancel);
  EXPECT_EQ(output.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(output.status().message(),
              HasSubstr("1 planned instructions after FROM, 1 typed ones "
                        "and 3 cache keys"));
  EXPECT_THAT(events.Summary(), ElementsAre("STEP_ERROR 0"));
}

}  // namespace
}  // namespace farm::worker
