// Runs the farm-cache binary as a user would: serve, use, stop by signal,
// restart on the same root.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/numbers.h"
#include "cache/remote/channel.h"
#include "cache/remote/remote_blob_store.h"
#include "cache/remote/remote_cache_admin.h"
#include "common/fs.h"
#include "gtest/gtest.h"

namespace farm::cache {
namespace {

struct Child {
  pid_t pid = -1;
  int port = 0;
  FILE* log = nullptr;  // the child's stderr; kept open so it never sees EPIPE
};

// Starts farm-cache and reads its log until it names the port it bound.
Child StartCache(const std::string& root) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  Child child;
  child.pid = fork();
  if (child.pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    execl("cache/farm-cache", "farm-cache", "--listen", "127.0.0.1:0", "--root",
          root.c_str(), "--max-bytes", "1000000", nullptr);
    _exit(127);
  }
  close(fds[1]);
  FILE* log = fdopen(fds[0], "r");
  child.log = log;
  char line[1024];
  while (fgets(line, sizeof(line), log) != nullptr) {
    std::string text(line);
    size_t at = text.find("on port ");
    if (at == std::string::npos) continue;
    std::string port = text.substr(at + 8);
    while (!port.empty() && (port.back() == '\n' || port.back() == '\r')) {
      port.pop_back();
    }
    EXPECT_TRUE(absl::SimpleAtoi(port, &child.port)) << text;
    break;
  }
  return child;
}

int StopCache(const Child& child, int signal) {
  EXPECT_EQ(kill(child.pid, signal), 0);
  int status = 0;
  EXPECT_EQ(waitpid(child.pid, &status, 0), child.pid);
  fclose(child.log);
  return status;
}

TEST(FarmCacheMainTest, ServesStopsOnSignalAndKeepsDataAcrossRestart) {
  absl::StatusOr<std::string> dir = MakeTempDir("farm_cache_main");
  ASSERT_TRUE(dir.ok());
  std::string root = *dir + "/cache";

  Child first = StartCache(root);
  ASSERT_GT(first.port, 0);
  {
    auto channel = DialCache("127.0.0.1:" + std::to_string(first.port));
    RemoteBlobStore blobs(channel);
    ASSERT_TRUE(PutBlob(blobs, "layer bytes").ok());
    RemoteCacheAdmin admin(channel);
    absl::StatusOr<CacheStats> stats = admin.Stats();
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->blob_count, 1u);
    EXPECT_EQ(stats->max_bytes, 1000000u);
  }
  int status = StopCache(first, SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);

  Child second = StartCache(root);
  ASSERT_GT(second.port, 0);
  {
    RemoteBlobStore blobs(
        DialCache("127.0.0.1:" + std::to_string(second.port)));
    absl::StatusOr<std::string> back =
        GetBlob(blobs, Digest::Of("layer bytes"));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, "layer bytes");
  }
  status = StopCache(second, SIGINT);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  RemoveAll(*dir).IgnoreError();
}

TEST(FarmCacheMainTest, UnusableRootExitsNonZero) {
  absl::StatusOr<std::string> dir = MakeTempDir("farm_cache_main");
  ASSERT_TRUE(dir.ok());
  std::string file = *dir + "/not-a-dir";
  ASSERT_TRUE(WriteFile(file, "x").ok());
  pid_t pid = fork();
  if (pid == 0) {
    execl("cache/farm-cache", "farm-cache", "--listen", "127.0.0.1:0", "--root",
          file.c_str(), nullptr);
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  RemoveAll(*dir).IgnoreError();
}

}  // namespace
}  // namespace farm::cache
