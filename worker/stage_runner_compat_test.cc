// Builds the cases of tests/compat with the StageRunner alone (no
// scheduler, no client) and compares each added layer, the config and the
// history with what Docker's BuildKit recorded. Cases that Docker failed
// must fail. Slow (every RUN is a real container), so it is tagged manual:
//   bazel run //worker:stage_runner_compat_test [-- --gtest_filter=*copy*]
// It reads the cases from the source tree: their contexts hold names that
// Bazel's runfiles cannot carry.
#include <stdlib.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "worker/compat_case.h"
#include "worker/stage_test_util.h"

namespace farm::worker {
namespace {

using Json = nlohmann::json;

std::string& CompatDir() {
  static std::string dir;
  return dir;
}

class CompatCase : public ::testing::Test {
 public:
  explicit CompatCase(std::string name) : name_(std::move(name)) {}

  void TestBody() override {
    const std::string case_dir = JoinPath(CompatDir(), "cases/" + name_);
    absl::StatusOr<std::string> dir = MakeTempDir("compat-" + name_);
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    const std::string stage = JoinPath(dir_, "stage");
    const std::string command =
        absl::StrCat("'", CompatDir(), "/stage_case.sh' '", case_dir, "' '",
                     stage, "' >/dev/null");
    ASSERT_EQ(system(command.c_str()), 0) << command;

    absl::StatusOr<std::unique_ptr<testing::TestWorker>> worker =
        testing::TestWorker::Create(JoinPath(dir_, "worker"));
    ASSERT_TRUE(worker.ok()) << worker.status();
    absl::StatusOr<proto::ImageContent> busybox =
        testing::PutBusyboxImage((*worker)->blobs(), dir_);
    ASSERT_TRUE(busybox.ok()) << busybox.status();

    testing::TestBuild build;
    absl::StatusOr<std::string> dockerfile =
        ReadFile(JoinPath(stage, "context/Dockerfile"));
    ASSERT_TRUE(dockerfile.ok()) << dockerfile.status();
    build.dockerfile = *dockerfile;
    build.images["busybox:latest"] = *busybox;
    testing::CaseArgs args = testing::ReadCaseArgs(case_dir);
    build.target = args.target;
    build.build_args = args.build_args;
    absl::StatusOr<proto::ContextManifest> context =
        testing::PutContext(JoinPath(stage, "context"), (*worker)->blobs());
    ASSERT_TRUE(context.ok()) << context.status();
    build.context = *context;

    testing::RecordingSink events;
    int target = 0;
    absl::StatusOr<std::map<int, proto::StageOutput>> outputs =
        testing::RunBuild((*worker)->runner(), build, events, &target);
    if (PathExists(JoinPath(case_dir, "docker_error.txt"))) {
      EXPECT_FALSE(outputs.ok()) << "Docker fails this case; farm built it";
      if (!outputs.ok()) {
        EXPECT_FALSE(outputs.status().message().empty());
        std::cerr << name_ << ": " << outputs.status() << "\n";
      }
    } else {
      ASSERT_TRUE(outputs.ok()) << outputs.status();
      Compare(case_dir, outputs->at(target), (*worker)->blobs());
    }
    worker->reset();
    RemoveAll(dir_).IgnoreError();
  }

 private:
  void Compare(const std::string& case_dir, const proto::StageOutput& output,
               cache::BlobStore& blobs) {
    absl::StatusOr<std::string> text =
        ReadFile(JoinPath(case_dir, "expected.json"));
    ASSERT_TRUE(text.ok());
    Json expected = Json::parse(*text);
    Json config = testing::CompatConfig(output.config());
    for (auto it = expected["config"].begin(); it != expected["config"].end();
         ++it) {
      EXPECT_EQ(config[it.key()], testing::NullIfEmpty(it.value()))
          << "config " << it.key();
    }
    EXPECT_EQ(testing::CompatHistory(output.config()).dump(1),
              expected["history"].dump(1));

    const size_t base = expected["base_layers"].size();
    const Json& layers = expected["layers"];
    ASSERT_EQ(output.layers_size(), base + layers.size());
    for (size_t i = 0; i < layers.size(); ++i) {
      absl::StatusOr<Json> got =
          testing::LayerEntries(blobs, output.layers(base + i));
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(got->dump(1), layers[i]["entries"].dump(1))
          << "layer " << i + 1 << ": " << layers[i]["created_by"];
    }
  }

  std::string name_;
  std::string dir_;
};

}  // namespace
}  // namespace farm::worker

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* workspace = getenv("BUILD_WORKSPACE_DIRECTORY");
  if (workspace == nullptr) {
    fprintf(stderr, "run me with `bazel run` (I read the source tree)\n");
    return 2;
  }
  farm::worker::CompatDir() = farm::JoinPath(workspace, "tests/compat");
  // Not Bazel's TEST_TMPDIR: other Bazel commands may wipe it meanwhile.
  char tmp[] = "/tmp/farm-worker-compat.XXXXXX";
  if (mkdtemp(tmp) == nullptr) return 1;
  setenv("TEST_TMPDIR", tmp, 1);
  absl::StatusOr<std::vector<std::string>> names =
      farm::ListDir(farm::JoinPath(farm::worker::CompatDir(), "cases"));
  if (!names.ok()) {
    fprintf(stderr, "%s\n", names.status().ToString().c_str());
    return 1;
  }
  for (const std::string& name : *names) {
    std::string test_name = name;
    for (char& c : test_name) {
      if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    ::testing::RegisterTest("Compat", test_name.c_str(), nullptr, nullptr,
                            __FILE__, __LINE__, [name]() -> ::testing::Test* {
                              return new farm::worker::CompatCase(name);
                            });
  }
  int status = RUN_ALL_TESTS();
  farm::RemoveAll(tmp).IgnoreError();
  return status;
}
