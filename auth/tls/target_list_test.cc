// What ResolveDialTarget makes of single targets and lists, without a
// server: the URI gRPC dials, the channel arguments, and the errors.
#include "auth/tls/target_list.h"

#include <grpc/grpc.h>

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::auth {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

// The channel arguments, integers and strings alike, as text by key.
std::map<std::string, std::string> Args(const grpc::ChannelArguments& args) {
  grpc_channel_args c_args;
  args.SetChannelArgs(&c_args);
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < c_args.num_args; ++i) {
    const grpc_arg& arg = c_args.args[i];
    if (arg.type == GRPC_ARG_INTEGER) {
      out[arg.key] = std::to_string(arg.value.integer);
    } else if (arg.type == GRPC_ARG_STRING) {
      out[arg.key] = arg.value.string;
    }
  }
  return out;
}

TEST(ResolveDialTargetTest, ASingleTargetIsDialledAsItIs) {
  for (const char* target :
       {"10.0.0.1:7700", "host-a:7700", "[::1]:7700", "dns:///host-a:7700",
        "unix:/run/farm.sock", "nohost.invalid:1"}) {
    grpc::ChannelArguments args;
    absl::StatusOr<std::string> dial = ResolveDialTarget(target, &args);
    ASSERT_TRUE(dial.ok()) << target << ": " << dial.status();
    EXPECT_EQ(*dial, target);
    EXPECT_EQ(Args(args), Args(grpc::ChannelArguments())) << target;
  }
}

TEST(ResolveDialTargetTest, AListOfIpv4IsAStaticListWithPickFirst) {
  grpc::ChannelArguments args;
  absl::StatusOr<std::string> dial =
      ResolveDialTarget("10.0.0.1:7700, 10.0.0.2:7701", &args);
  ASSERT_TRUE(dial.ok()) << dial.status();
  EXPECT_EQ(*dial, "ipv4:10.0.0.1:7700,10.0.0.2:7701");
  std::map<std::string, std::string> set = Args(args);
  EXPECT_EQ(set[GRPC_ARG_LB_POLICY_NAME], "round_robin");
  EXPECT_EQ(set[GRPC_ARG_DEFAULT_AUTHORITY], "10.0.0.1:7700");
  EXPECT_EQ(set[GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS], "200");
  EXPECT_EQ(set[GRPC_ARG_MAX_RECONNECT_BACKOFF_MS], "2000");
  EXPECT_EQ(set[GRPC_ARG_MIN_RECONNECT_BACKOFF_MS], "5000");
}

TEST(ResolveDialTargetTest, AnyIpv6MakesAnIpv6ListWithMappedIpv4) {
  grpc::ChannelArguments args;
  absl::StatusOr<std::string> dial =
      ResolveDialTarget("[::1]:7700,127.0.0.1:7701,[fd00::2]:7702", &args);
  ASSERT_TRUE(dial.ok()) << dial.status();
  EXPECT_EQ(*dial, "ipv6:[::1]:7700,[::ffff:127.0.0.1]:7701,[fd00::2]:7702");
  EXPECT_EQ(Args(args)[GRPC_ARG_DEFAULT_AUTHORITY], "[::1]:7700");
}

TEST(ResolveDialTargetTest, HostNamesAreResolvedAndTheFirstIsTheAuthority) {
  grpc::ChannelArguments args;
  absl::StatusOr<std::string> dial =
      ResolveDialTarget("localhost:7700,127.0.0.1:7700", &args);
  ASSERT_TRUE(dial.ok()) << dial.status();
  // localhost is 127.0.0.1, maybe ::1 too; each address appears once.
  EXPECT_THAT(*dial, AnyOf("ipv4:127.0.0.1:7700",
                           "ipv6:[::1]:7700,[::ffff:127.0.0.1]:7700",
                           "ipv6:[::ffff:127.0.0.1]:7700,[::1]:7700"));
  EXPECT_EQ(Args(args)[GRPC_ARG_DEFAULT_AUTHORITY], "localhost:7700");
}

TEST(ResolveDialTargetTest, AnEntryThatIsNotHostPortIsNamed) {
  for (const auto& [target, entry] : std::map<std::string, std::string>{
           {"10.0.0.1:7700,", "\"\""},
           {"host-a,host-b:7700", "\"host-a\""},
           {"::1:7700,10.0.0.1:7700", "\"::1:7700\""},
           {"[::1]7700,10.0.0.1:7700", "\"[::1]7700\""},
           {"host-a:0,host-b:7700", "\"host-a:0\""},
           {"host-a:70000,host-b:7700", "\"host-a:70000\""},
           {"host-a:+77,host-b:7700", "\"host-a:+77\""},
           {":7700,host-b:7700", "\":7700\""}}) {
    grpc::ChannelArguments args;
    absl::StatusOr<std::string> dial = ResolveDialTarget(target, &args);
    ASSERT_FALSE(dial.ok()) << target;
    EXPECT_EQ(dial.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(dial.status().message(),
                HasSubstr(entry + " is not HOST:PORT"));
    EXPECT_THAT(dial.status().message(),
                HasSubstr("in the address list \"" + target + "\""));
  }
}

TEST(ResolveDialTargetTest, AnUnknownHostIsNamed) {
  grpc::ChannelArguments args;
  absl::StatusOr<std::string> dial =
      ResolveDialTarget("127.0.0.1:7700,nohost.invalid:1", &args);
  ASSERT_FALSE(dial.ok());
  // kUnavailable where no resolver answers at all (no network).
  EXPECT_THAT(dial.status().code(), AnyOf(absl::StatusCode::kInvalidArgument,
                                          absl::StatusCode::kUnavailable));
  EXPECT_THAT(dial.status().message(),
              HasSubstr("cannot resolve host \"nohost.invalid\""));
  EXPECT_EQ(Args(args), Args(grpc::ChannelArguments()));
}

}  // namespace
}  // namespace farm::auth
