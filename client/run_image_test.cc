#include "client/run_image.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::optional<std::string> NoHostEnv(const std::string&) {
  return std::nullopt;
}

image::oci::ImageConfig Config() {
  image::oci::ImageConfig config;
  config.architecture = "amd64";
  config.os = "linux";
  config.config.env = {"PATH=/bin", "A=1"};
  config.config.entrypoint = {"/entry"};
  config.config.cmd = {"default", "args"};
  config.config.user = "app";
  config.config.working_dir = "/srv";
  return config;
}

TEST(ParseRunArgsTest, FlagsBeforeTheImageAndTheCommandAfter) {
  absl::StatusOr<RunOptions> options = ParseRunArgs(
      {"--rm", "-e", "A=2", "--env=B", "-u", "root", "-w", "/tmp", "-it",
       "--entrypoint", "/bin/sh", "app:1.0", "-c", "echo -e hi"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->remove);
  EXPECT_EQ(options->image, "app:1.0");
  EXPECT_THAT(options->command, ElementsAre("-c", "echo -e hi"));
  EXPECT_THAT(options->env, ElementsAre("A=2", "B"));
  EXPECT_EQ(options->user, "root");
  EXPECT_EQ(options->workdir, "/tmp");
  EXPECT_EQ(options->entrypoint, "/bin/sh");
}

TEST(ParseRunArgsTest, PlatformPicksOneImageOfAMultiPlatformOne) {
  absl::StatusOr<RunOptions> options =
      ParseRunArgs({"--platform", "linux/arm64", "app:1", "uname", "-m"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->platform, "linux/arm64");
  EXPECT_EQ(options->image, "app:1");
  EXPECT_THAT(options->command, ElementsAre("uname", "-m"));
  // After the image it belongs to the command.
  options = ParseRunArgs({"app:1", "--platform", "linux/arm64"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->platform, "");
  EXPECT_THAT(options->command, ElementsAre("--platform", "linux/arm64"));
}

TEST(ParseRunArgsTest, MissingImageAndUnknownFlagsAreInvalid) {
  absl::StatusOr<RunOptions> none = ParseRunArgs({"--rm"});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(none.status().message(), HasSubstr("requires an IMAGE"));
  absl::StatusOr<RunOptions> unknown = ParseRunArgs({"--bogus", "img"});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("--bogus"));
}

TEST(ContainerSpecTest, ImageDefaults) {
  RunOptions options;
  options.image = "app";
  absl::StatusOr<executor::ProcessSpec> spec =
      ContainerSpec(Config(), options, NoHostEnv);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(spec->args, ElementsAre("/entry", "default", "args"));
  EXPECT_THAT(spec->env, ElementsAre("PATH=/bin", "A=1"));
  EXPECT_EQ(spec->user, "app");
  EXPECT_EQ(spec->cwd, "/srv");
  EXPECT_TRUE(spec->attach_stdio);
  EXPECT_TRUE(spec->bind_etc_hostname);
  EXPECT_EQ(spec->network, executor::NetworkMode::kHost);
}

TEST(ContainerSpecTest, CommandEnvUserAndWorkdirOverrides) {
  RunOptions options;
  options.image = "app";
  options.command = {"other"};
  options.env = {"A=2", "NEW=x", "FROM_HOST", "UNSET_ON_HOST"};
  options.user = "1000:1000";
  options.workdir = "/tmp";
  absl::StatusOr<executor::ProcessSpec> spec =
      ContainerSpec(Config(), options,
                    [](const std::string& key) -> std::optional<std::string> {
                      if (key == "FROM_HOST") return "host-value";
                      return std::nullopt;
                    });
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(spec->args, ElementsAre("/entry", "other"));
  EXPECT_THAT(spec->env,
              ElementsAre("PATH=/bin", "A=2", "NEW=x", "FROM_HOST=host-value"));
  EXPECT_EQ(spec->user, "1000:1000");
  EXPECT_EQ(spec->cwd, "/tmp");
}

TEST(ContainerSpecTest, EntrypointFlagDropsTheImagesCmd) {
  RunOptions options;
  options.image = "app";
  options.entrypoint = "/bin/true";
  absl::StatusOr<executor::ProcessSpec> spec =
      ContainerSpec(Config(), options, NoHostEnv);
  ASSERT_TRUE(spec.ok());
  EXPECT_THAT(spec->args, ElementsAre("/bin/true"));

  options.entrypoint = "";
  options.command = {"ls", "/"};
  spec = ContainerSpec(Config(), options, NoHostEnv);
  ASSERT_TRUE(spec.ok());
  EXPECT_THAT(spec->args, ElementsAre("ls", "/"));
}

TEST(ContainerSpecTest, NothingToRunAndRelativeWorkdirAreErrors) {
  image::oci::ImageConfig config = Config();
  config.config.entrypoint.clear();
  config.config.cmd.clear();
  config.config.env.clear();
  config.config.working_dir.clear();
  RunOptions options;
  options.image = "empty:1";
  absl::StatusOr<executor::ProcessSpec> spec =
      ContainerSpec(config, options, NoHostEnv);
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().message(), "empty:1: no command specified");

  options.command = {"sh"};
  spec = ContainerSpec(config, options, NoHostEnv);
  ASSERT_TRUE(spec.ok());
  EXPECT_THAT(spec->env, ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:"
                                     "/usr/sbin:/usr/bin:/sbin:/bin"));
  EXPECT_EQ(spec->cwd, "/");

  options.workdir = "relative";
  spec = ContainerSpec(config, options, NoHostEnv);
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(spec.status().message(), HasSubstr("absolute path"));
}

}  // namespace
}  // namespace farm::client
