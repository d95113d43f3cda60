// SandboxPool with real slirp4netns: spares are ready ahead, no sandbox is
// handed out twice, released ones are closed, and nothing, neither file nor
// namespace, is left when the pool goes. Needs root.
#include "worker/executor/network/sandbox_pool.h"

#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/fs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/executor/network/network_test_util.h"

namespace farm::executor::network {
namespace {

using ::testing::IsEmpty;
using ::testing::MatchesRegex;

class SandboxPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.dir = JoinPath(*MakeTempDir("sandbox-pool"), "netns");
  }
  // The locks in the pool's dir: one per sandbox not yet closed.
  std::set<std::string> Files() {
    std::set<std::string> out;
    absl::StatusOr<std::vector<std::string>> names = ListDir(options_.dir);
    if (!names.ok()) return out;
    for (const std::string& name : *names) {
      if (name.size() > 5 && name.substr(name.size() - 5) == ".lock") {
        out.insert(name);
      }
    }
    return out;
  }
  void WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 200 && !done(); ++i)
      absl::SleepFor(absl::Milliseconds(25));
    ASSERT_TRUE(done());
  }
  NetworkSandbox::Options options_;
};

TEST_F(SandboxPoolTest, SparesAreReadyAheadAndNeverHandedOutTwice) {
  std::vector<std::string> ids;
  {
    SandboxPool pool(options_, 2);
    WaitFor([&] { return Files().size() == 2; });
    // All taken ones stay open until the end, so that the kernel cannot
    // give a new namespace the number of one already freed.
    std::vector<std::unique_ptr<NetworkSandbox>> taken;
    std::set<std::string> seen;
    for (int i = 0; i < 5; ++i) {
      absl::StatusOr<std::unique_ptr<NetworkSandbox>> sandbox = pool.Take();
      ASSERT_TRUE(sandbox.ok()) << sandbox.status();
      const std::string path = (*sandbox)->namespace_path();
      EXPECT_THAT(path,
                  MatchesRegex(absl::StrCat("/proc/", getpid(), "/fd/[0-9]+")));
      const std::string id = NamespaceId(path);
      ASSERT_THAT(id, MatchesRegex("net:\\[[0-9]+\\]"));
      EXPECT_TRUE(seen.insert(id).second) << id << " handed out twice";
      ids.push_back(id);
      taken.push_back(*std::move(sandbox));
    }
    for (auto& sandbox : taken) pool.Release(std::move(sandbox));
    // Released ones are closed in the background; two spares stay.
    WaitFor([&] { return Files().size() == 2; });
    for (const std::string& id : ids) {
      EXPECT_THAT(NamespaceHolders(id), IsEmpty()) << id;
    }
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
  const std::string id = NamespaceId((*sandbox)->namespace_path());
  ASSERT_THAT(id, MatchesRegex("net:\\[[0-9]+\\]"));
  EXPECT_THAT(NamespaceHolders(id), ::testing::Not(IsEmpty()));
  pool.Release(*std::move(sandbox));
  EXPECT_TRUE(Files().empty());  // closed in Release itself
  EXPECT_THAT(NamespaceHolders(id), IsEmpty());
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
