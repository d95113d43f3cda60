// `farm build` end to end against a scripted BuildService over gRPC on
// 127.0.0.1: flags, Dockerfile, .dockerignore, context walk, upload,
// progress output, archives and exit codes.
#include "client/build/build_command.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "client/build/fake_build_service.h"
#include "client/build/session_testing.h"
#include "client/context/test_tree.h"
#include "common/digest.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace farm::client::build {
namespace {

// The endpoint of an embedded farm under `root`.
FarmEndpoint Root(const std::string& root) {
  FarmEndpoint endpoint;
  endpoint.root = root;
  return endpoint;
}

using namespace testing;  // NOLINT: the farm side's helpers

class BuildCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("XDG_CACHE_HOME", cache_.root().c_str(), 1);
    unsetenv("FARM_REMOTE");
    tree_.Write("Dockerfile", "FROM busybox\nCOPY app.py /app/\n");
    tree_.Write(".dockerignore", "secret.txt\n");
    tree_.Write("app.py", "print('hi')\n");
    tree_.Write("secret.txt", "password");
  }

  // Runs the command with `args` and the context, capturing stderr.
  int Run(std::vector<std::string> args, FakeBuildServer& server) {
    args.push_back(tree_.root());
    ChannelOpener open = [&](const FarmEndpoint& endpoint) {
      endpoint_ = endpoint;
      return absl::StatusOr<std::shared_ptr<grpc::Channel>>(
          server.NewChannel());
    };
    ::testing::internal::CaptureStderr();
    int code = RunBuildCommand(args, Root("/tmp/farm-root"), open);
    stderr_ = ::testing::internal::GetCapturedStderr();
    return code;
  }

  context::TempTree tree_;
  context::TempTree cache_;
  context::TempTree out_;
  FarmEndpoint endpoint_;
  std::string stderr_;
};

// The farm side of a successful build that needs app.py.
void GoodBuild(FarmCall& call, Opening* opening) {
  auto read = [&call](proto::BuildClientMessage* m) { return call.Read(m); };
  *opening = ReadOpening(read);
  call.Write(Accepted("b-1"));
  call.Write(Need({Digest::Of("print('hi')\n").ToString()}));
  EXPECT_EQ(ReadBlob(read, Digest::Of("print('hi')\n").ToString()),
            "print('hi')\n");
  proto::BuildServerMessage started =
      Event(1, proto::BuildEvent::STEP_STARTED, 1, "COPY app.py /app/");
  started.mutable_event()->set_stage_name("0");
  started.mutable_event()->set_instruction_index(1);
  started.mutable_event()->set_instruction_count(2);
  started.mutable_event()->set_worker("w-9");
  call.Write(started);
  call.Write(Event(2, proto::BuildEvent::STEP_DONE, 1, ""));
  if (opening->request.outputs_size() > 0) {
    call.Write(Output("docker", "docker-archive", true));
  }
  proto::BuildServerMessage result = Result(true);
  result.mutable_result()->add_tags("app:1");
  call.Write(result);
}

TEST_F(BuildCommandTest, BuildsAndWritesTheArchive) {
  Opening opening;
  FakeBuildServer server(
      [&](FarmCall& call, int n) { GoodBuild(call, &opening); });
  std::string dest = out_.Path("app.tar");
  int code = Run({"-t", "app:1", "--build-arg", "V=2", "--target", "final",
                  "--progress=plain", "--output", "type=docker,dest=" + dest},
                 server);
  ASSERT_EQ(code, 0) << stderr_;
  EXPECT_EQ(*ReadFile(dest), "docker-archive");
  EXPECT_EQ(endpoint_.root, "/tmp/farm-root");
  EXPECT_EQ(endpoint_.remote, "");

  const proto::BuildRequest& r = opening.request;
  EXPECT_EQ(r.dockerfile(), "FROM busybox\nCOPY app.py /app/\n");
  EXPECT_EQ(r.dockerfile_name(), "Dockerfile");
  EXPECT_EQ(r.build_args().at("V"), "2");
  EXPECT_EQ(r.target(), "final");
  EXPECT_EQ(r.tags(0), "app:1");
  EXPECT_EQ(r.outputs(0), "docker");
  EXPECT_EQ(r.ignore_patterns(0), "secret.txt");
  EXPECT_TRUE(absl::StrContains(r.client(), "@"));
  std::vector<std::string> paths;
  for (const auto& e : opening.manifest.entries()) paths.push_back(e.path());
  EXPECT_EQ(paths, (std::vector<std::string>{".dockerignore", "Dockerfile",
                                             "app.py"}));

  for (const char* line :
       {"#1 [internal] load build definition from Dockerfile\n",
        "#1 transferring dockerfile: 31B done\n",
        "#2 [internal] load .dockerignore\n",
        "#2 1 pattern from .dockerignore\n",
        "#3 [internal] load build context\n",
        "#3 3 files (54B), 0 directories, 0 symlinks; hashed 3 (54B), 0 "
        "unchanged\n",
        "#0 build b-1\n", "#4 [internal] transferring context\n",
        "#4 1 file, 12B\n",
        // Embedded builds do not name the worker.
        "#5 [stage-0 2/2] COPY app.py /app/\n", "#6 exporting to image\n",
        "#6 writing image sha256:feed done\n", "#6 naming to app:1 done\n"}) {
    EXPECT_TRUE(absl::StrContains(stderr_, line))
        << "missing " << line << "in:\n"
        << stderr_;
  }
}

TEST_F(BuildCommandTest, SecondRunHashesNothingAndNamesRemoteWorkers) {
  Opening opening;
  FakeBuildServer server(
      [&](FarmCall& call, int n) { GoodBuild(call, &opening); });
  // Let the files age past the stat cache's racy window.
  absl::SleepFor(absl::Milliseconds(1100));
  ASSERT_EQ(Run({"--progress=plain"}, server), 0) << stderr_;
  ASSERT_EQ(Run({"--progress=plain", "--remote", "farm.example:7000"}, server),
            0)
      << stderr_;
  EXPECT_EQ(endpoint_.remote, "farm.example:7000");
  EXPECT_TRUE(absl::StrContains(stderr_, "; hashed 0 (0B), 3 unchanged\n"))
      << stderr_;
  EXPECT_TRUE(absl::StrContains(
      stderr_, "#5 [stage-0 2/2] COPY app.py /app/ (worker w-9)\n"))
      << stderr_;
}

TEST_F(BuildCommandTest, FailedBuildExitsOneWithTheError) {
  FakeBuildServer server([&](FarmCall& call, int n) {
    ReadOpening([&call](proto::BuildClientMessage* m) { return call.Read(m); });
    call.Write(Accepted("b-2"));
    call.Write(Result(false, "Dockerfile:2: COPY app.py /app/: boom"));
  });
  std::string dest = out_.Path("app.tar");
  int code =
      Run({"--progress", "plain", "-o", "type=oci,dest=" + dest}, server);
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(absl::EndsWith(
      stderr_, "\nERROR: Dockerfile:2: COPY app.py /app/: boom\n"))
      << stderr_;
  EXPECT_TRUE(ListDir(out_.root())->empty()) << "a partial archive was left";
}

TEST_F(BuildCommandTest, QuietPrintsOnlyTheImageId) {
  Opening opening;
  FakeBuildServer server(
      [&](FarmCall& call, int n) { GoodBuild(call, &opening); });
  ::testing::internal::CaptureStdout();
  int code = Run({"-q"}, server);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(code, 0) << stderr_;
  EXPECT_EQ(out, "sha256:feed\n");
  EXPECT_EQ(stderr_, "");
}

TEST_F(BuildCommandTest, JsonProgressIsOneObjectPerLine) {
  Opening opening;
  FakeBuildServer server(
      [&](FarmCall& call, int n) { GoodBuild(call, &opening); });
  ASSERT_EQ(Run({"--progress=json"}, server), 0) << stderr_;
  std::vector<std::string> lines =
      absl::StrSplit(stderr_, '\n', absl::SkipEmpty());
  ASSERT_GT(lines.size(), 5u);
  for (const std::string& line : lines) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;
  }
  nlohmann::json last = nlohmann::json::parse(lines.back());
  EXPECT_EQ(last["type"], "result");
  EXPECT_EQ(last["ok"], true);
  EXPECT_EQ(last["image_id"], "sha256:feed");
}

TEST_F(BuildCommandTest, MissingContextAndBadFlags) {
  FakeBuildServer server([](FarmCall& call, int n) {});
  ChannelOpener open = [&](const FarmEndpoint&) {
    return absl::StatusOr<std::shared_ptr<grpc::Channel>>(server.NewChannel());
  };
  ::testing::internal::CaptureStderr();
  int code = RunBuildCommand({"--progress=plain", tree_.Path("nope")},
                             Root("/r"), open);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(absl::StrContains(err, "ERROR: reading the Dockerfile: ")) << err;
  EXPECT_EQ(server.service().calls(), 0);

  ::testing::internal::CaptureStderr();
  code = RunBuildCommand({"--frobnicate", "."}, Root("/r"), open);
  err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 2);
  EXPECT_TRUE(absl::StartsWith(
      err, "farm build: unknown flag: --frobnicate\nusage: farm"))
      << err;
}

TEST_F(BuildCommandTest, UnreachableFarmIsReported) {
  FakeBuildServer server([](FarmCall& call, int n) {});
  ChannelOpener open = [](const FarmEndpoint&) {
    return absl::StatusOr<std::shared_ptr<grpc::Channel>>(
        absl::UnavailableError("no route to host"));
  };
  ::testing::internal::CaptureStderr();
  int code = RunBuildCommand(
      {"--progress=plain", "--remote", "10.0.0.1:1", tree_.root()}, Root("/r"),
      open);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 1);
  EXPECT_TRUE(absl::EndsWith(
      err, "ERROR: connecting to the farm at 10.0.0.1:1: no route to host\n"))
      << err;
}

}  // namespace
}  // namespace farm::client::build
