// Unit tests for typed instructions: per-instruction parsing, --mount,
// durations, post-expansion validation, stages and lint.
#include "dockerfile/dockerfile.h"
#include "dockerfile/duration.h"
#include "dockerfile/instruction_parser.h"
#include "dockerfile/mount.h"
#include "dockerfile/parser.h"
#include "dockerfile/validate.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace farm::dockerfile {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<Instruction> ParseOne(absl::string_view line) {
  absl::StatusOr<Node> node = ParseLine(line, '\\');
  if (!node.ok()) return node.status();
  node->start_line = node->end_line = 7;
  return ParseInstruction(*node, "Dockerfile");
}

absl::StatusOr<std::string> Identity(absl::string_view v) {
  return std::string(v);
}

TEST(DurationTest, ParsesGoDurations) {
  EXPECT_EQ(*ParseGoDuration("1m30s"), 90'000'000'000);
  EXPECT_EQ(*ParseGoDuration("1.5h"), 5'400'000'000'000);
  EXPECT_EQ(*ParseGoDuration("500ms"), 500'000'000);
  EXPECT_EQ(*ParseGoDuration("2\xC2\xB5s"), 2'000);
  EXPECT_EQ(*ParseGoDuration("-3ns"), -3);
  EXPECT_EQ(*ParseGoDuration("0"), 0);
  EXPECT_EQ(*ParseGoDuration(".5s"), 500'000'000);
  EXPECT_EQ(ParseGoDuration("").status().message(),
            "time: invalid duration \"\"");
  EXPECT_EQ(ParseGoDuration("10").status().message(),
            "time: missing unit in duration \"10\"");
  EXPECT_EQ(ParseGoDuration("3d").status().message(),
            "time: unknown unit \"d\" in duration \"3d\"");
  EXPECT_EQ(ParseGoDuration("9999999999h").status().message(),
            "time: invalid duration \"9999999999h\"");
  EXPECT_EQ(ParseGoDuration("1s.").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DurationTest, FormatsLikeGo) {
  EXPECT_EQ(FormatGoDuration(0), "0s");
  EXPECT_EQ(FormatGoDuration(90'000'000'000), "1m30s");
  EXPECT_EQ(FormatGoDuration(3'723'500'000'000), "1h2m3.5s");
  EXPECT_EQ(FormatGoDuration(1'500'000), "1.5ms");
  EXPECT_EQ(FormatGoDuration(2'000), "2\xC2\xB5s");
  EXPECT_EQ(FormatGoDuration(-7), "-7ns");
  for (const char* s : {"1h0m0s", "2m5.25s", "750ms", "42ns"}) {
    EXPECT_EQ(FormatGoDuration(*ParseGoDuration(s)), s);
  }
}

TEST(MountTest, ParsesEveryType) {
  absl::StatusOr<Mount> cache = ParseMount(
      "type=cache,target=/root/.cache,id=go,sharing=LOCKED,uid=1000,gid=1,"
      "mode=0750,from=base,source=/seed",
      Identity);
  ASSERT_TRUE(cache.ok()) << cache.status();
  EXPECT_EQ(cache->type, "cache");
  EXPECT_EQ(cache->sharing, "locked");
  EXPECT_FALSE(cache->read_only);
  EXPECT_EQ(cache->mode, 0750u);
  EXPECT_EQ(cache->uid, 1000u);
  EXPECT_EQ(FormatMount(*cache),
            "type=cache,from=base,source=/seed,target=/root/.cache,id=go,"
            "sharing=locked,mode=0750,uid=1000,gid=1");

  absl::StatusOr<Mount> bind = ParseMount("target=.,rw", Identity);
  ASSERT_TRUE(bind.ok());
  EXPECT_EQ(bind->type, "bind");
  EXPECT_FALSE(bind->read_only);
  EXPECT_EQ(FormatMount(*bind), "type=bind,target=.,ro=false");

  absl::StatusOr<Mount> tmpfs =
      ParseMount("type=tmpfs,dst=/tmp,size=1.5g", Identity);
  ASSERT_TRUE(tmpfs.ok());
  EXPECT_EQ(tmpfs->size_limit, 1610612736);

  absl::StatusOr<Mount> secret =
      ParseMount("type=secret,id=aws,env=AWS,required", Identity);
  ASSERT_TRUE(secret.ok());
  EXPECT_TRUE(secret->required);
  EXPECT_TRUE(secret->read_only);
  EXPECT_EQ(secret->env, "AWS");

  absl::StatusOr<Mount> ssh = ParseMount("type=ssh,required=false", Identity);
  ASSERT_TRUE(ssh.ok());
  EXPECT_FALSE(ssh->required);

  absl::StatusOr<Mount> quoted =
      ParseMount("type=bind,\"target=/a,b\",ro=false", Identity);
  ASSERT_TRUE(quoted.ok()) << quoted.status();
  EXPECT_EQ(quoted->target, "/a,b");
  EXPECT_EQ(FormatMount(*quoted), "type=bind,\"target=/a,b\",ro=false");
}

TEST(MountTest, RejectsWhatDockerRejects) {
  struct Case {
    std::string spec;
    std::string message;
  } cases[] = {
      {"type=volume", "unsupported mount type \"volume\""},
      {"type=cahce", "unsupported mount type \"cahce\" (did you mean cache?)"},
      {"type=cache,sharing=all", "unsupported sharing value \"all\""},
      {"required,type=secret,id=x",
       "unexpected key 'required' for mount type 'bind'"},
      {"type=cache,size=1g", "unexpected key 'size' for mount type 'cache'"},
      {"type=tmpfs,size=lots", "invalid value for size: lots"},
      {"type=bind,mode=0644", "mode not allowed for \"bind\" type mounts"},
      {"type=cache,mode=9", "invalid value 9 for mode"},
      {"type=cache,uid=-1", "invalid value -1 for uid"},
      {"type=secret,from=x,id=a", "secret mount should not have a from"},
      {"type=secret", "invalid secret mount. one of source, target required"},
      {"type=secret,source=a,id=b", "both source and id can't be set"},
      {"type=bind,sharing=locked", "invalid cache sharing set for bind mount"},
      {"type=bind,bogus=1", "unexpected key 'bogus' in 'bogus=1'"},
      {"type=bind,target", "invalid field 'target' must be a key=value pair"},
      {"type=bind,ro=maybe", "invalid value for ro: maybe"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Mount> m = ParseMount(c.spec, Identity);
    ASSERT_FALSE(m.ok()) << c.spec;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(m.status().message(), c.message) << c.spec;
  }
  EXPECT_THAT(std::string(CheckMountSyntax("from=$X").message()),
              HasSubstr("doesn't support variable expansion"));
  EXPECT_TRUE(CheckMountSyntax("from=stage$").ok());
  EXPECT_EQ(MountFrom("type=bind,FROM=build,target=/x"), "build");
  EXPECT_EQ(*ParseRamInBytes("64m"), 64 << 20);
  EXPECT_EQ(*ParseRamInBytes("10 KiB"), 10240);
  EXPECT_FALSE(ParseRamInBytes("1.2.3m").has_value());
}

TEST(ValidateTest, SignalsAndPorts) {
  for (const char* ok : {"SIGTERM", "kill", "9", "-5", "SIGRTMIN+3", "rtmax"}) {
    EXPECT_TRUE(ValidateStopSignal(ok).ok()) << ok;
  }
  EXPECT_EQ(ValidateStopSignal("0").message(), "invalid signal: 0");
  EXPECT_EQ(ValidateStopSignal("SIGFOO").message(), "invalid signal: SIGFOO");
  for (const char* ok : {"80", "443/tcp", "53/UDP", "8000-8010/sctp",
                         "127.0.0.1:8080:80", "65535"}) {
    EXPECT_TRUE(ValidatePortSpec(ok).ok()) << ok;
  }
  EXPECT_EQ(ValidatePortSpec("80/http").message(), "invalid proto: http");
  EXPECT_EQ(ValidatePortSpec("65536").message(),
            "invalid containerPort: 65536");
  EXPECT_EQ(ValidatePortSpec("90-80").message(),
            "invalid range specified for container port: 90-80");
}

TEST(InstructionParserTest, TypedValues) {
  absl::StatusOr<Instruction> copy = ParseOne(
      "COPY --from=build --link --exclude=a --exclude=b <<EOF x /dst/");
  ASSERT_TRUE(copy.ok()) << copy.status();
  const auto* c = copy->As<CopyInstruction>();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->from, "build");
  EXPECT_TRUE(c->link);
  EXPECT_THAT(c->excludes, ElementsAre("a", "b"));
  EXPECT_THAT(c->files.paths, ElementsAre("x"));
  EXPECT_EQ(c->files.dest, "/dst/");
  // No body was read for a lone line: BuildKit still makes an empty file.
  ASSERT_EQ(c->files.contents.size(), 1u);
  EXPECT_EQ(c->files.contents[0].name, "EOF");
  EXPECT_EQ(c->files.contents[0].data, "");
  EXPECT_THAT(SourceReferences(*copy), ElementsAre("build"));

  absl::StatusOr<Instruction> run = ParseOne(
      "RUN --mount=from=a,target=/a --mount=type=cache,target=/c "
      "--mount=FROM=b,target=/b make");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->Kind(), "RUN");
  EXPECT_THAT(SourceReferences(*run), ElementsAre("a", "b"));

  absl::StatusOr<Instruction> health =
      ParseOne("HEALTHCHECK --interval=5m --retries=2 CMD [\"check\"]");
  ASSERT_TRUE(health.ok());
  const auto* h = health->As<HealthcheckInstruction>();
  EXPECT_THAT(h->test, ElementsAre("CMD", "check"));
  EXPECT_EQ(h->interval, 300'000'000'000);
  EXPECT_EQ(h->retries, 2);

  absl::StatusOr<Instruction> arg = ParseOne("ARG a b=1 c=");
  ASSERT_TRUE(arg.ok());
  const auto* a = arg->As<ArgInstruction>();
  ASSERT_EQ(a->args.size(), 3u);
  EXPECT_FALSE(a->args[0].default_value.has_value());
  EXPECT_EQ(a->args[1].default_value, "1");
  EXPECT_EQ(a->args[2].default_value, "");

  absl::StatusOr<Instruction> onbuild = ParseOne("ONBUILD RUN make");
  ASSERT_TRUE(onbuild.ok());
  const auto* o = onbuild->As<OnbuildInstruction>();
  ASSERT_NE(o->trigger, nullptr);
  EXPECT_EQ(o->trigger->Kind(), "RUN");
  EXPECT_EQ(o->expression, "RUN make");
}

TEST(InstructionParserTest, ErrorsNameTheLine) {
  absl::StatusOr<Instruction> bad = ParseOne("FRMO alpine");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "Dockerfile:7: unknown instruction: FRMO (did you mean FROM?)");
  bad = ParseOne("WORKDIR");
  EXPECT_EQ(bad.status().message(),
            "Dockerfile:7: WORKDIR requires exactly one argument");
  bad = ParseOne("HEALTHCHECK --interval=500us CMD true");
  EXPECT_EQ(bad.status().message(),
            "Dockerfile:7: Interval \"interval\" cannot be less than 1ms");
  bad = ParseOne("HEALTHCHECK --retries=x CMD true");
  EXPECT_EQ(bad.status().message(),
            "Dockerfile:7: strconv.ParseInt: parsing \"x\": invalid syntax");
}

TEST(DockerfileTest, StagesMetaArgsAndLookup) {
  absl::StatusOr<Dockerfile> file = ParseDockerfile(
      "ARG V=1\nFROM --platform=$P img:$V AS Build\nRUN a\n"
      "FROM build\nCOPY --from=0 /x /y\n",
      "Dockerfile");
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->meta_args.size(), 1u);
  ASSERT_EQ(file->stages.size(), 2u);
  const Stage& build = file->stages[0];
  EXPECT_EQ(build.name, "Build");
  EXPECT_EQ(build.base, "img:$V");
  EXPECT_EQ(build.platform, "$P");
  EXPECT_EQ(build.instructions.size(), 1u);
  EXPECT_EQ(file->FindStage("BUILD"), &file->stages[0]);
  EXPECT_EQ(file->FindStage("1"), &file->stages[1]);
  EXPECT_EQ(file->FindStage("2"), nullptr);
  EXPECT_EQ(file->FindStage("alpine"), nullptr);
  ASSERT_EQ(file->warnings.size(), 1u);
  EXPECT_EQ(file->warnings[0].rule, "StageNameCasing");
}

}  // namespace
}  // namespace farm::dockerfile
