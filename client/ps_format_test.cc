#include "client/ps_format.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::client {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

proto::ContainerRecord Record(const std::string& state) {
  proto::ContainerRecord record;
  record.set_id(std::string(64, 'a'));
  record.set_name("web");
  record.set_state(state);
  record.mutable_config()->set_image("webapp:1.0");
  for (const char* arg : {"httpd", "-f", "-v", "-p", "80", "-h", "/www"}) {
    record.mutable_config()->add_args(arg);
  }
  proto::PortMapping* port = record.mutable_config()->add_ports();
  port->set_protocol("tcp");
  port->set_host_ip("0.0.0.0");
  port->set_host_port(8080);
  port->set_container_port(80);
  record.set_created_unix_nanos(absl::ToUnixNanos(kNow - absl::Minutes(3)));
  record.set_started_unix_nanos(absl::ToUnixNanos(kNow - absl::Seconds(5)));
  return record;
}

TEST(ContainerStatusTest, ReadsAsDockerPs) {
  EXPECT_EQ(ContainerStatus(Record("running"), kNow), "Up 5 seconds");
  proto::ContainerRecord exited = Record("exited");
  exited.set_exit_code(137);
  exited.set_finished_unix_nanos(absl::ToUnixNanos(kNow - absl::Minutes(2)));
  EXPECT_EQ(ContainerStatus(exited, kNow), "Exited (137) 2 minutes ago");
  EXPECT_EQ(ContainerStatus(Record("created"), kNow), "Created");
}

TEST(PsTableTest, ShortIdsPortsAndACutCommand) {
  std::string table = PsTable({Record("running")}, kNow, /*no_trunc=*/false);
  EXPECT_THAT(table, HasSubstr("CONTAINER ID   IMAGE"));
  EXPECT_THAT(table, HasSubstr("aaaaaaaaaaaa   webapp:1.0"));
  EXPECT_THAT(table, HasSubstr("\"httpd -f -v -p 80 -…\""));
  EXPECT_THAT(table, HasSubstr("0.0.0.0:8080->80/tcp"));
  EXPECT_THAT(table, HasSubstr("3 minutes ago"));
  EXPECT_THAT(table, HasSubstr("   web\n"));
  std::string whole = PsTable({Record("running")}, kNow, /*no_trunc=*/true);
  EXPECT_THAT(whole, HasSubstr(std::string(64, 'a')));
  EXPECT_THAT(whole, HasSubstr("\"httpd -f -v -p 80 -h /www\""));
}

TEST(PsTableTest, AnExitedContainerPublishesNothing) {
  proto::ContainerRecord exited = Record("exited");
  exited.set_finished_unix_nanos(absl::ToUnixNanos(kNow));
  EXPECT_THAT(PsTable({exited}, kNow, false),
              ::testing::Not(HasSubstr("8080")));
}

}  // namespace
}  // namespace farm::client
