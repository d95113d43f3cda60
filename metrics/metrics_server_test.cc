// The /metrics endpoint over a real socket: what it serves, and the errors
// of an address that is malformed or taken.
#include "metrics/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/families.h"

namespace farm::metrics {
namespace {

using ::testing::HasSubstr;

class FixedCollectable : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    return {GaugeFamily("farm_test_answer", "a fixed value", 42)};
  }
};

// The whole HTTP response to GET `path` on 127.0.0.1:`port`; "" when the
// connection is refused.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    if (write(fd, request.data(), request.size()) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, n);
    }
  }
  close(fd);
  return response;
}

TEST(MetricsServerTest, ServesWhatWasAddedAtSlashMetrics) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("127.0.0.1:0");
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  (*server)->Add(std::make_shared<FixedCollectable>());

  const std::string response = HttpGet((*server)->port(), "/metrics");
  EXPECT_THAT(response, HasSubstr("200 OK"));
  EXPECT_THAT(response, HasSubstr("# TYPE farm_test_answer gauge"));
  EXPECT_THAT(response, HasSubstr("\nfarm_test_answer 42"));
  // Only /metrics is served.
  EXPECT_THAT(HttpGet((*server)->port(), "/"), HasSubstr("404"));

  const int port = (*server)->port();
  server->reset();
  EXPECT_EQ(HttpGet(port, "/metrics"), "");
}

TEST(MetricsServerTest, AMalformedAddressIsAnInvalidArgument) {
  for (const std::string address :
       {"9700", "metrics.example.com:9700", "127.0.0.1:http", "127.0.0.1:70000",
        "[::1:9700", ""}) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> server =
        MetricsServer::Start(address);
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument)
        << address;
    EXPECT_THAT(server.status().message(),
                HasSubstr(absl::StrCat("--metrics-listen \"", address, "\"")));
  }
}

TEST(MetricsServerTest, AcceptedAddressesAsCivetwebTakesThem) {
  EXPECT_EQ(ParseMetricsAddress("0.0.0.0:9700").value_or(""), "0.0.0.0:9700");
  EXPECT_EQ(ParseMetricsAddress("localhost:0").value_or(""), "127.0.0.1:0");
  EXPECT_EQ(ParseMetricsAddress("[::]:9700").value_or(""), "[::]:9700");
}

TEST(MetricsServerTest, ATakenPortIsUnavailableWithTheReason) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> first =
      MetricsServer::Start("127.0.0.1:0");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string address = absl::StrCat("127.0.0.1:", (*first)->port());
  absl::StatusOr<std::unique_ptr<MetricsServer>> second =
      MetricsServer::Start(address);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(),
              HasSubstr(absl::StrCat("cannot serve metrics on ", address,
                                     ": Address already in use")));
}

TEST(MetricsServerTest, AnAddressNotOfThisMachineIsUnavailable) {
  // 192.0.2.0/24 is TEST-NET-1: never a local address.
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("192.0.2.1:9700");
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(server.status().message(),
              HasSubstr("Cannot assign requested address"));
}

}  // namespace
}  // namespace farm::metrics
