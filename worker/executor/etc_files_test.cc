#include "worker/executor/etc_files.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::executor {
namespace {

using ::testing::ElementsAre;

constexpr char kFallback[] =
    "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
    "nameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n";

TEST(HostsFileTest, NamesLocalhostAndTheHostname) {
  EXPECT_EQ(HostsFileContent("buildkitsandbox"),
            "127.0.0.1\tlocalhost buildkitsandbox\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n");
}

TEST(NameserversTest, ParsesAddressesAndSkipsTheRest) {
  EXPECT_THAT(Nameservers("# nameserver 1.1.1.1\n"
                          "search example.com\n"
                          "nameserver 10.0.0.1 # office\n"
                          "nameserver\tfe80::1\n"
                          "nameserver not-an-ip\n"
                          "nameserver 9.9.9.9;x\n"),
              ElementsAre("10.0.0.1", "fe80::1", "9.9.9.9"));
}

TEST(ResolvConfTest, HostNetworkKeepsTheHostsFile) {
  const char host[] =
      "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n";
  EXPECT_EQ(ResolvConfContent(host, NetworkMode::kHost), host);
  EXPECT_EQ(ResolvConfContent("nameserver 10.255.255.53", NetworkMode::kHost),
            "nameserver 10.255.255.53");
}

TEST(ResolvConfTest, HostNetworkWithoutNameserversGetsTheFallbacks) {
  EXPECT_EQ(ResolvConfContent("", NetworkMode::kHost), kFallback);
  EXPECT_EQ(ResolvConfContent("search lan", NetworkMode::kHost),
            std::string("search lan\n") + kFallback);
}

TEST(ResolvConfTest, PrivateNetworkDropsLoopbackNameservers) {
  EXPECT_EQ(ResolvConfContent("nameserver 127.0.0.53\nnameserver 10.0.0.2\n"
                              "nameserver ::1\nsearch lan\n",
                              NetworkMode::kNone),
            "nameserver 10.0.0.2\nsearch lan\n");
  EXPECT_EQ(ResolvConfContent("nameserver 127.1.2.3\noptions ndots:2\n",
                              NetworkMode::kNone),
            std::string("options ndots:2\n") + kFallback);
  EXPECT_EQ(ResolvConfContent("", NetworkMode::kNone), kFallback);
}

TEST(ResolvConfTest, PrivateNetworkKeepsReachableNameserversAsDocker) {
  EXPECT_EQ(ResolvConfContent("nameserver 127.0.0.53\nnameserver 10.0.0.2\n"
                              "nameserver ::1\nsearch lan\n",
                              NetworkMode::kPrivate),
            "nameserver 10.0.0.2\nsearch lan\n");
  EXPECT_EQ(
      ResolvConfContent("nameserver 10.255.255.53\n", NetworkMode::kPrivate),
      "nameserver 10.255.255.53\n");
}

TEST(ResolvConfTest, PrivateNetworkReachesALoopbackResolverThroughSlirp) {
  // systemd-resolved's stub, dnsmasq on 127.0.0.1: slirp4netns relays.
  EXPECT_EQ(ResolvConfContent("nameserver 127.0.0.53\noptions edns0 "
                              "trust-ad\nsearch lan\n",
                              NetworkMode::kPrivate),
            "options edns0 trust-ad\nsearch lan\nnameserver 10.0.2.3\n");
  EXPECT_EQ(ResolvConfContent("nameserver ::1", NetworkMode::kPrivate),
            "nameserver 10.0.2.3\n");
  // No nameserver at all: as Docker (the forwarder would have none either).
  EXPECT_EQ(ResolvConfContent("", NetworkMode::kPrivate), kFallback);
  EXPECT_EQ(ResolvConfContent("search lan\n", NetworkMode::kPrivate),
            std::string("search lan\n") + kFallback);
}

}  // namespace
}  // namespace farm::executor
