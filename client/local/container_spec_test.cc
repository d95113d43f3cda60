#include "client/local/container_spec.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::client::local {
namespace {

using ::testing::HasSubstr;

TEST(ParsePublishTest, HostAndContainerPortDefaultToTcpOnAllAddresses) {
  absl::StatusOr<proto::PortMapping> port = ParsePublish("8080:80");
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(port->protocol(), "tcp");
  EXPECT_EQ(port->host_ip(), "0.0.0.0");
  EXPECT_EQ(port->host_port(), 8080);
  EXPECT_EQ(port->container_port(), 80);
}

TEST(ParsePublishTest, TakesAnAddressAndAProtocol) {
  absl::StatusOr<proto::PortMapping> port =
      ParsePublish("127.0.0.1:8080:80/udp");
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(port->protocol(), "udp");
  EXPECT_EQ(port->host_ip(), "127.0.0.1");
  EXPECT_EQ(port->host_port(), 8080);
  EXPECT_EQ(port->container_port(), 80);
}

TEST(ParsePublishTest, RefusesMalformedSpecs) {
  for (const std::string spec :
       {"80", "x:80", "8080:70000", "8080:80/sctp", "a:b:c:d"}) {
    absl::StatusOr<proto::PortMapping> port = ParsePublish(spec);
    EXPECT_EQ(port.status().code(), absl::StatusCode::kInvalidArgument)
        << spec << ": " << port.status();
    EXPECT_THAT(port.status().message(), HasSubstr(spec));
  }
}

TEST(ParseVolumeTest, BindsReadWriteByDefault) {
  absl::StatusOr<proto::BindMount> mount = ParseVolume("/host:/data");
  ASSERT_TRUE(mount.ok()) << mount.status();
  EXPECT_EQ(mount->source(), "/host");
  EXPECT_EQ(mount->target(), "/data");
  EXPECT_FALSE(mount->readonly());
}

TEST(ParseVolumeTest, RoMakesTheMountReadOnly) {
  absl::StatusOr<proto::BindMount> mount = ParseVolume("/host:/data:ro");
  ASSERT_TRUE(mount.ok()) << mount.status();
  EXPECT_TRUE(mount->readonly());
}

TEST(ParseVolumeTest, RefusesNamedVolumes) {
  absl::StatusOr<proto::BindMount> mount = ParseVolume("data:/x");
  EXPECT_EQ(mount.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mount.status().message(), HasSubstr("named volumes"));
}

TEST(ParseVolumeTest, RefusesARelativeContainerPathAndAnUnknownMode) {
  for (const std::string spec : {"/host:data", "/host:/data:xx"}) {
    EXPECT_EQ(ParseVolume(spec).status().code(),
              absl::StatusCode::kInvalidArgument)
        << spec;
  }
}

TEST(ProcessSpecOfTest, MapsNetworkNames) {
  const std::pair<std::string, executor::NetworkMode> cases[] = {
      {"", executor::NetworkMode::kPrivate},
      {"bridge", executor::NetworkMode::kPrivate},
      {"host", executor::NetworkMode::kHost},
      {"none", executor::NetworkMode::kNone}};
  for (const auto& [network, mode] : cases) {
    proto::ContainerConfig config;
    config.set_network(network);
    absl::StatusOr<executor::ProcessSpec> spec =
        ProcessSpecOf(config, "run-1", true);
    ASSERT_TRUE(spec.ok()) << network << ": " << spec.status();
    EXPECT_EQ(spec->network, mode) << network;
  }
}

TEST(ProcessSpecOfTest, RefusesAnUnknownNetwork) {
  proto::ContainerConfig config;
  config.set_network("foo");
  EXPECT_EQ(ProcessSpecOf(config, "run-1", true).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ProcessSpecOfTest, CopiesPortsMountsAndTheRuntimeId) {
  proto::ContainerConfig config;
  *config.add_ports() = *ParsePublish("127.0.0.1:8080:80/udp");
  *config.add_mounts() = *ParseVolume("/host:/data:ro");
  absl::StatusOr<executor::ProcessSpec> spec =
      ProcessSpecOf(config, "run-0123456789ab", true);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->container_id, "run-0123456789ab");
  ASSERT_EQ(spec->published_ports.size(), 1u);
  EXPECT_EQ(spec->published_ports[0].protocol, "udp");
  EXPECT_EQ(spec->published_ports[0].host_ip, "127.0.0.1");
  EXPECT_EQ(spec->published_ports[0].host_port, 8080);
  EXPECT_EQ(spec->published_ports[0].container_port, 80);
  ASSERT_EQ(spec->mounts.size(), 1u);
  EXPECT_EQ(spec->mounts[0].source, "/host");
  EXPECT_EQ(spec->mounts[0].target, "/data");
  EXPECT_TRUE(spec->mounts[0].readonly);
}

TEST(ProcessSpecOfTest, AttachedGetsStdioAndTheRequestedTerminal) {
  proto::ContainerConfig config;
  config.set_tty(true);
  absl::StatusOr<executor::ProcessSpec> spec =
      ProcessSpecOf(config, "run-1", true);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->attach_stdio);
  EXPECT_TRUE(spec->tty);
}

TEST(ProcessSpecOfTest, DetachedHasNoStdioAndNoTerminalEvenWithTty) {
  proto::ContainerConfig config;
  config.set_tty(true);
  absl::StatusOr<executor::ProcessSpec> spec =
      ProcessSpecOf(config, "run-1", false);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->attach_stdio);
  EXPECT_FALSE(spec->tty);
}

TEST(ExitCodeForErrorTest, FollowsDockersCodes) {
  EXPECT_EQ(ExitCodeForError(absl::FailedPreconditionError(
                "exec: \"nope\": executable file not found in $PATH")),
            127);
  EXPECT_EQ(ExitCodeForError(absl::FailedPreconditionError(
                "exec: \"/etc\": permission denied")),
            126);
  EXPECT_EQ(ExitCodeForError(absl::NotFoundError("image not here")), 125);
}

TEST(PortTextTest, ShowsThePortAsDockerPsDoes) {
  EXPECT_EQ(PortText(*ParsePublish("8080:80")), "0.0.0.0:8080->80/tcp");
  EXPECT_EQ(PortText(*ParsePublish("127.0.0.1:53:53/udp")),
            "127.0.0.1:53->53/udp");
}

}  // namespace
}  // namespace farm::client::local
