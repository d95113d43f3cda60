// SandboxPool with real slirp4netns: spares are ready ahead, no sandbox is
// handed out twice, released ones are closed, and nothing is left when the
// pool goes. Needs root.
#include "worker/executor/network/sandbox_pool.h"

#include <set>
#include <string>

#include "absl/time/clock.h"
#include "common/fs.h"
#include "gtest/gtest.h"
#include "worker/executor/network/network_test_util.h"

namespace farm::executor::network {
namespace {

class SandboxPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.dir = JoinPath(*MakeTempDir("sandbox-pool"), "netns");
  }
  // The namespace files in the pool's dir.
  std::set<std::string> Files() {
    std::set<std::string> out;
    absl::StatusOr<std::vector<std::string>> names = ListDir(options_.dir);
    if (!names.ok()) return out;
    for (const std::string& name : *names) {
      if (name.size() > 4 && name.substr(name.size() - 4) == ".net") {
        out.insert(name);
      }
    }
    return out;
  }
  void WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 200 && !done(); ++i) absl::SleepFor(absl::Milliseconds(25));
    ASSERT_TRUE(done());
  }
  NetworkSandbox::Options options_;
};

TEST_F(SandboxPoolTest, SparesAreReadyAheadAndNeverHandedOutTwice) {
  std::set<std::string> seen;
  {
    SandboxPool pool(options_, 2);
    WaitFor([&] { return Files().size() == 2; });
    for (int i = 0; i < 5; ++i) {
      absl::StatusOr<std::unique_ptr<NetworkSandbox>> sandbox = pool.Take();
      ASSERT_TRUE(sandbox.ok()) << sandbox.status();
      const std::string path = (*sandbox)->namespace_path();
      EXPECT_TRUE(seen.insert(path).second) << path << " handed out twice";
      EXPECT_FALSE(NamespaceId(path).empty());
      pool.Release(*std::move(sandbox));
    }
    // Released ones are closed in the background; two spares stay.
    WaitFor([&] { return Files().size() == 2; });
  }
  // The pool's end closes the spares too.
  EXPECT_TRUE(Files().empty());
  EXPECT_TRUE(Slirp4netnsChildren().empty());
}

TEST_F(SandboxPoolTest, WithoutSparesEachTakeOpensOne) {
  SandboxPool pool(options_, 0);
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(Files().empty());
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> sandbox = pool.Take();
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  EXPECT_EQ(Files().size(), 1u);
  pool.Release(*std::move(sandbox));
  EXPECT_TRUE(Files().empty());  // closed in Release itself
}

TEST_F(SandboxPoolTest, AMissingSlirp4netnsIsTheTakersError) {
  options_.slirp4netns.binary = "/nonexistent/slirp4netns";
  SandboxPool pool(options_, 1);
  absl::StatusOr<std::unique_ptr<NetworkSandbox>> sandbox = pool.Take();
  EXPECT_EQ(sandbox.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(sandbox.status().message().find("slirp4netns"), std::string::npos);
}

}  // namespace
}  // namespace farm::executor::network
