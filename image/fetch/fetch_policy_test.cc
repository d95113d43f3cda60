#include "image/fetch/fetch_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::image {
namespace {

using ::testing::HasSubstr;

// An IPv4 or IPv6 literal as a socket address, port 80.
struct Address {
  explicit Address(const std::string& text) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET, text.c_str(), &in->sin_addr) == 1) {
      in->sin_family = AF_INET;
      in->sin_port = htons(80);
    } else {
      EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr), 1) << text;
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(80);
    }
  }
  const sockaddr* get() const {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
  sockaddr_storage storage = {};
};

TEST(FetchPolicyTest, AddressKinds) {
  struct Case {
    std::string address;
    std::string kind;
  } cases[] = {
      {"0.0.0.0", "unspecified"},
      {"0.1.2.3", "unspecified"},
      {"::", "unspecified"},
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"::1", "loopback"},
      {"169.254.169.254", "link-local"},
      {"169.254.0.1", "link-local"},
      {"fe80::1", "link-local"},
      {"febf:ffff::1", "link-local"},
      {"10.0.0.1", "private"},
      {"10.255.255.255", "private"},
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"192.168.1.1", "private"},
      {"fc00::1", "private"},
      {"fd12:3456::1", "private"},
      {"100.64.0.1", "cgnat"},
      {"100.100.100.200", "cgnat"},
      {"100.127.255.255", "cgnat"},
      {"192.0.0.1", "ietf-protocol"},
      {"192.0.0.255", "ietf-protocol"},
      {"198.18.0.1", "benchmarking"},
      {"198.19.255.255", "benchmarking"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"ff02::1", "multicast"},
      {"240.0.0.1", "reserved"},
      {"255.255.255.254", "reserved"},
      {"255.255.255.255", "broadcast"},
      {"fec0::1", "site-local"},
      {"feff::1", "site-local"},
      // IPv6 forms of IPv4 addresses are judged by their IPv4 part.
      {"::ffff:127.0.0.1", "loopback"},
      {"::ffff:169.254.169.254", "link-local"},
      {"::ffff:10.1.2.3", "private"},
      {"::ffff:0.0.0.0", "unspecified"},
      {"::127.0.0.1", "loopback"},
      {"::192.168.0.1", "private"},
      {"64:ff9b::169.254.169.254", "link-local"},
      {"64:ff9b::7f00:1", "loopback"},
      {"2002:a9fe:a9fe::1", "link-local"},  // 6to4 of 169.254.169.254
      {"::ffff:8.8.8.8", "public"},
      {"64:ff9b::8.8.8.8", "public"},
      // Public, documentation ranges included.
      {"8.8.8.8", "public"},
      {"1.1.1.1", "public"},
      {"2606:4700::1111", "public"},
      {"2001:4860:4860::8888", "public"},
      {"203.0.113.80", "public"},
      {"192.0.2.1", "public"},
      {"198.51.100.7", "public"},
      {"2001:db8::1", "public"},
      // Neighbours of refused ranges.
      {"172.15.255.255", "public"},
      {"172.32.0.0", "public"},
      {"100.63.255.255", "public"},
      {"100.128.0.0", "public"},
      {"169.253.255.255", "public"},
      {"198.17.255.255", "public"},
      {"198.20.0.0", "public"},
      {"192.0.1.0", "public"},
      {"223.255.255.255", "public"},
      {"fe7f::1", "public"},
      {"fbff::1", "public"},
  };
  for (const Case& c : cases) {
    Address address(c.address);
    EXPECT_EQ(AddressKind(address.get()), c.kind) << c.address;
    EXPECT_EQ(IsPublicAddress(address.get()), c.kind == "public") << c.address;
  }
}

TEST(FetchPolicyTest, NonIpAddressesAreRefused) {
  sockaddr_un un = {};
  un.sun_family = AF_UNIX;
  const auto* address = reinterpret_cast<const sockaddr*>(&un);
  EXPECT_FALSE(IsPublicAddress(address));
  EXPECT_EQ(AddressKind(address), "non-ip");
  EXPECT_FALSE(IsPublicAddress(nullptr));
  EXPECT_FALSE(FetchPolicy().CheckConnection("http://x/", "x", address).ok());
}

TEST(FetchPolicyTest, AddressText) {
  EXPECT_EQ(AddressText(Address("169.254.169.254").get()), "169.254.169.254");
  EXPECT_EQ(AddressText(Address("::ffff:127.0.0.1").get()), "::ffff:127.0.0.1");
  EXPECT_EQ(AddressText(Address("0:0::1").get()), "::1");
}

TEST(FetchPolicyTest, DefaultPolicyRefusesWithAnExplanation) {
  FetchPolicy policy;
  absl::Status s = policy.CheckConnection(
      "http://127.0.0.1:8080/x", "127.0.0.1", Address("127.0.0.1").get());
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      s.message(),
      "http://127.0.0.1:8080/x resolves to 127.0.0.1, a loopback address: "
      "the farm fetches ADD URLs only from public addresses unless "
      "farm-scheduler is started with --allow-fetch-host 127.0.0.1 (for the "
      "embedded farm: FARM_ALLOW_FETCH_HOSTS=127.0.0.1)");

  s = policy.CheckConnection("http://metadata.internal/computeMetadata/",
                             "Metadata.Internal",
                             Address("169.254.169.254").get());
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(),
              HasSubstr("resolves to 169.254.169.254, a link-local"));
  EXPECT_THAT(s.message(), HasSubstr("--allow-fetch-host metadata.internal"));

  s = policy.CheckConnection("http://[::1]:80/", "::1", Address("::1").get());
  EXPECT_THAT(s.message(), HasSubstr("resolves to ::1, a loopback address"));
  EXPECT_THAT(s.message(), HasSubstr("--allow-fetch-host ::1"));

  EXPECT_TRUE(policy
                  .CheckConnection("http://example.com/", "example.com",
                                   Address("203.0.113.80").get())
                  .ok());
}

TEST(FetchPolicyTest, AllowedHostsAreMatchedByNameNotAddress) {
  FetchPolicy policy({"Registry.Internal", "127.0.0.1", "[::1]"});
  EXPECT_TRUE(policy.HostAllowed("registry.internal"));
  EXPECT_TRUE(policy.HostAllowed("REGISTRY.internal"));
  EXPECT_TRUE(policy.HostAllowed("127.0.0.1"));
  EXPECT_TRUE(policy.HostAllowed("::1"));
  EXPECT_TRUE(policy.HostAllowed("[0:0::1]"));
  EXPECT_FALSE(policy.HostAllowed("localhost"));
  EXPECT_FALSE(policy.HostAllowed("registry.internal.evil.com"));
  EXPECT_FALSE(policy.HostAllowed(""));
  EXPECT_TRUE(policy
                  .CheckConnection("http://registry.internal/",
                                   "registry.internal",
                                   Address("10.1.2.3").get())
                  .ok());
  EXPECT_EQ(policy
                .CheckConnection("http://localhost/", "localhost",
                                 Address("127.0.0.1").get())
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(FetchPolicy().HostAllowed("127.0.0.1"));
}

TEST(FetchPolicyTest, AllowAllAllowsEverything) {
  FetchPolicy policy = FetchPolicy::AllowAll();
  EXPECT_TRUE(policy.HostAllowed("anything"));
  EXPECT_TRUE(policy
                  .CheckConnection("http://127.0.0.1/", "127.0.0.1",
                                   Address("127.0.0.1").get())
                  .ok());
}

}  // namespace
}  // namespace farm::image
