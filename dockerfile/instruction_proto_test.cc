// Round trips typed instructions through proto::TypedInstruction: every
// instruction of the parser and compat corpora, parsed and planned (expanded),
// plus hand-written ones that set and unset every optional field.
#include "dockerfile/instruction_proto.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"
#include "dockerfile/dockerfile.h"
#include "dockerfile/format.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "planner/planner.h"

namespace farm::dockerfile {
namespace {

// Field-by-field comparison, written out here rather than borrowed from the
// types, so that a field the conversion drops shows up by name.
class Differ {
 public:
  std::vector<std::string> diffs;

  template <typename T>
  void Field(const std::string& path, const T& a, const T& b) {
    if (!(a == b)) diffs.push_back(path);
  }

  void Strings(const std::string& path, const std::vector<std::string>& a,
               const std::vector<std::string>& b) {
    if (a != b) {
      diffs.push_back(absl::StrCat(path, ": [", absl::StrJoin(a, "|"), "] vs [",
                                   absl::StrJoin(b, "|"), "]"));
    }
  }

  template <typename T, typename F>
  void List(const std::string& path, const std::vector<T>& a,
            const std::vector<T>& b, F compare) {
    if (a.size() != b.size()) {
      diffs.push_back(absl::StrCat(path, ".size"));
      return;
    }
    for (size_t i = 0; i < a.size(); ++i) {
      (this->*compare)(absl::StrCat(path, "[", i, "]"), a[i], b[i]);
    }
  }

  void Heredocs(const std::string& p, const Heredoc& a, const Heredoc& b) {
    Field(p + ".name", a.name, b.name);
    Field(p + ".content", a.content, b.content);
    Field(p + ".chomp", a.chomp, b.chomp);
    Field(p + ".expand", a.expand, b.expand);
    Field(p + ".fd", a.fd, b.fd);
  }

  void Mounts(const std::string& p, const Mount& a, const Mount& b) {
    Field(p + ".type", a.type, b.type);
    Field(p + ".from", a.from, b.from);
    Field(p + ".source", a.source, b.source);
    Field(p + ".target", a.target, b.target);
    Field(p + ".read_only", a.read_only, b.read_only);
    Field(p + ".size_limit", a.size_limit, b.size_limit);
    Field(p + ".id", a.id, b.id);
    Field(p + ".sharing", a.sharing, b.sharing);
    Field(p + ".required", a.required, b.required);
    Field(p + ".env", a.env, b.env);
    Field(p + ".mode", a.mode, b.mode);
    Field(p + ".uid", a.uid, b.uid);
    Field(p + ".gid", a.gid, b.gid);
  }

  void KeyValues(const std::string& p, const KeyValue& a, const KeyValue& b) {
    Field(p + ".key", a.key, b.key);
    Field(p + ".value", a.value, b.value);
    Field(p + ".legacy", a.legacy, b.legacy);
  }

  void Command(const std::string& p, const CommandLine& a,
               const CommandLine& b) {
    Strings(p + ".args", a.args, b.args);
    Field(p + ".shell_form", a.shell_form, b.shell_form);
  }

  void InlineFiles(const std::string& p, const InlineFile& a,
                   const InlineFile& b) {
    Field(p + ".name", a.name, b.name);
    Field(p + ".data", a.data, b.data);
    Field(p + ".expand", a.expand, b.expand);
  }

  void Files(const std::string& p, const FileSources& a, const FileSources& b) {
    Strings(p + ".paths", a.paths, b.paths);
    List(p + ".contents", a.contents, b.contents, &Differ::InlineFiles);
    Field(p + ".dest", a.dest, b.dest);
  }

  void Args(const std::string& p, const ArgDefinition& a,
            const ArgDefinition& b) {
    Field(p + ".name", a.name, b.name);
    Field(p + ".default_value", a.default_value, b.default_value);
  }

  void Instructions(const std::string& p, const Instruction& a,
                    const Instruction& b) {
    Field(p + ".keyword", a.keyword, b.keyword);
    Field(p + ".original", a.original, b.original);
    Strings(p + ".flags", a.flags, b.flags);
    Strings(p + ".args", a.args, b.args);
    Field(p + ".json", a.json, b.json);
    List(p + ".heredocs", a.heredocs, b.heredocs, &Differ::Heredocs);
    Field(p + ".start_line", a.start_line, b.start_line);
    Field(p + ".end_line", a.end_line, b.end_line);
    if (a.value.index() != b.value.index()) {
      diffs.push_back(absl::StrCat(p, ".value: ", a.Kind(), " vs ", b.Kind()));
      return;
    }
    std::visit([&](const auto& va) { Value(p, va, b); }, a.value);
  }

  void Value(const std::string& p, const FromInstruction& a,
             const Instruction& bi) {
    const FromInstruction& b = *bi.As<FromInstruction>();
    Field(p + ".from.base", a.base, b.base);
    Field(p + ".from.platform", a.platform, b.platform);
    Field(p + ".from.name", a.name, b.name);
  }
  void Value(const std::string& p, const RunInstruction& a,
             const Instruction& bi) {
    const RunInstruction& b = *bi.As<RunInstruction>();
    Command(p + ".run.command", a.command, b.command);
    Strings(p + ".run.mount_specs", a.mount_specs, b.mount_specs);
    List(p + ".run.mounts", a.mounts, b.mounts, &Differ::Mounts);
    Field(p + ".run.network", a.network, b.network);
    Field(p + ".run.security", a.security, b.security);
  }
  void Value(const std::string& p, const CmdInstruction& a,
             const Instruction& bi) {
    Command(p + ".cmd.command", a.command, bi.As<CmdInstruction>()->command);
  }
  void Value(const std::string& p, const EntrypointInstruction& a,
             const Instruction& bi) {
    Command(p + ".entrypoint.command", a.command,
            bi.As<EntrypointInstruction>()->command);
  }
  void Value(const std::string& p, const LabelInstruction& a,
             const Instruction& bi) {
    List(p + ".label.labels", a.labels, bi.As<LabelInstruction>()->labels,
         &Differ::KeyValues);
  }
  void Value(const std::string& p, const MaintainerInstruction& a,
             const Instruction& bi) {
    Field(p + ".maintainer.name", a.name, bi.As<MaintainerInstruction>()->name);
  }
  void Value(const std::string& p, const ExposeInstruction& a,
             const Instruction& bi) {
    Strings(p + ".expose.ports", a.ports, bi.As<ExposeInstruction>()->ports);
  }
  void Value(const std::string& p, const EnvInstruction& a,
             const Instruction& bi) {
    List(p + ".env.vars", a.vars, bi.As<EnvInstruction>()->vars,
         &Differ::KeyValues);
  }
  void Value(const std::string& p, const AddInstruction& a,
             const Instruction& bi) {
    const AddInstruction& b = *bi.As<AddInstruction>();
    Files(p + ".add.files", a.files, b.files);
    Field(p + ".add.chown", a.chown, b.chown);
    Field(p + ".add.chmod", a.chmod, b.chmod);
    Field(p + ".add.checksum", a.checksum, b.checksum);
    Field(p + ".add.link", a.link, b.link);
    Field(p + ".add.keep_git_dir", a.keep_git_dir, b.keep_git_dir);
    Field(p + ".add.unpack", a.unpack, b.unpack);
    Strings(p + ".add.excludes", a.excludes, b.excludes);
  }
  void Value(const std::string& p, const CopyInstruction& a,
             const Instruction& bi) {
    const CopyInstruction& b = *bi.As<CopyInstruction>();
    Files(p + ".copy.files", a.files, b.files);
    Field(p + ".copy.from", a.from, b.from);
    Field(p + ".copy.chown", a.chown, b.chown);
    Field(p + ".copy.chmod", a.chmod, b.chmod);
    Field(p + ".copy.link", a.link, b.link);
    Field(p + ".copy.parents", a.parents, b.parents);
    Strings(p + ".copy.excludes", a.excludes, b.excludes);
  }
  void Value(const std::string& p, const VolumeInstruction& a,
             const Instruction& bi) {
    Strings(p + ".volume.paths", a.paths, bi.As<VolumeInstruction>()->paths);
  }
  void Value(const std::string& p, const UserInstruction& a,
             const Instruction& bi) {
    Field(p + ".user.user", a.user, bi.As<UserInstruction>()->user);
  }
  void Value(const std::string& p, const WorkdirInstruction& a,
             const Instruction& bi) {
    Field(p + ".workdir.path", a.path, bi.As<WorkdirInstruction>()->path);
  }
  void Value(const std::string& p, const ArgInstruction& a,
             const Instruction& bi) {
    List(p + ".arg.args", a.args, bi.As<ArgInstruction>()->args, &Differ::Args);
  }
  void Value(const std::string& p, const OnbuildInstruction& a,
             const Instruction& bi) {
    const OnbuildInstruction& b = *bi.As<OnbuildInstruction>();
    Field(p + ".onbuild.expression", a.expression, b.expression);
    if ((a.trigger == nullptr) != (b.trigger == nullptr)) {
      diffs.push_back(p + ".onbuild.trigger (null vs set)");
    } else if (a.trigger != nullptr) {
      Instructions(p + ".onbuild.trigger", *a.trigger, *b.trigger);
    }
    Field(p + ".onbuild.trigger_error.code", a.trigger_error.code(),
          b.trigger_error.code());
    Field(p + ".onbuild.trigger_error.message", a.trigger_error.message(),
          b.trigger_error.message());
  }
  void Value(const std::string& p, const StopsignalInstruction& a,
             const Instruction& bi) {
    Field(p + ".stopsignal.signal", a.signal,
          bi.As<StopsignalInstruction>()->signal);
  }
  void Value(const std::string& p, const HealthcheckInstruction& a,
             const Instruction& bi) {
    const HealthcheckInstruction& b = *bi.As<HealthcheckInstruction>();
    Strings(p + ".healthcheck.test", a.test, b.test);
    Field(p + ".healthcheck.interval", a.interval, b.interval);
    Field(p + ".healthcheck.timeout", a.timeout, b.timeout);
    Field(p + ".healthcheck.start_period", a.start_period, b.start_period);
    Field(p + ".healthcheck.start_interval", a.start_interval,
          b.start_interval);
    Field(p + ".healthcheck.retries", a.retries, b.retries);
  }
  void Value(const std::string& p, const ShellInstruction& a,
             const Instruction& bi) {
    Strings(p + ".shell.shell", a.shell, bi.As<ShellInstruction>()->shell);
  }
};

// "" when equal, else the differing fields.
std::string Diff(const Instruction& a, const Instruction& b) {
  Differ differ;
  differ.Instructions("instruction", a, b);
  return absl::StrJoin(differ.diffs, ", ");
}

std::string Serialized(const proto::TypedInstruction& message) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

// The three round-trip checks; `where` names the instruction in failures.
void ExpectRoundTrip(const Instruction& x, const std::string& where) {
  const proto::TypedInstruction message = ToProto(x);
  absl::StatusOr<Instruction> back = FromProto(message);
  ASSERT_TRUE(back.ok()) << where << ": " << back.status();
  EXPECT_EQ(Diff(x, *back), "") << where;
  EXPECT_EQ(CanonicalText(*back), CanonicalText(x)) << where;
  EXPECT_EQ(Serialized(ToProto(*back)), Serialized(message)) << where;

  // Through the wire bytes too, as a job carries it.
  proto::TypedInstruction parsed;
  ASSERT_TRUE(parsed.ParseFromString(Serialized(message))) << where;
  absl::StatusOr<Instruction> from_wire = FromProto(parsed);
  ASSERT_TRUE(from_wire.ok()) << where << ": " << from_wire.status();
  EXPECT_EQ(Diff(x, *from_wire), "") << where;
}

// The runfiles, where the corpus cases are (data in BUILD.bazel).
std::string SourceRoot() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return JoinPath(srcdir ? srcdir : ".", workspace ? workspace : "farm");
}

struct CorpusCase {
  std::string name;
  std::string dockerfile;
  std::string args;  // a compat case's `farm build` flags, if any
};

std::vector<CorpusCase> LoadCorpus() {
  std::vector<CorpusCase> cases;
  for (const char* root : {"tests/dockerfile/cases", "tests/compat/cases"}) {
    const std::string dir = JoinPath(SourceRoot(), root);
    absl::StatusOr<std::vector<std::string>> names = ListDir(dir);
    if (!names.ok()) continue;
    for (const std::string& name : *names) {
      const std::string case_dir = JoinPath(dir, name);
      absl::StatusOr<std::string> text =
          ReadFile(JoinPath(case_dir, "Dockerfile"));
      if (!text.ok()) continue;
      absl::StatusOr<std::string> args = ReadFile(JoinPath(case_dir, "args"));
      cases.push_back({absl::StrCat(root, "/", name), *std::move(text),
                       args.ok() ? *args : ""});
    }
  }
  return cases;
}

// The targets to plan: the case's --target, else the default (last) stage
// and every named stage, so that stages the last one skips are expanded too.
std::vector<planner::PlanOptions> PlanOptionsFor(const CorpusCase& c,
                                                 const Dockerfile& df) {
  planner::PlanOptions base;
  bool has_target = false;
  std::vector<std::string> words =
      absl::StrSplit(c.args, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    if (words[i] == "--build-arg") {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(words[i + 1], absl::MaxSplits('=', 1));
      base.build_args[kv.first] = kv.second;
    } else if (words[i] == "--target") {
      base.target = words[i + 1];
      has_target = true;
    }
  }
  std::vector<planner::PlanOptions> all = {base};
  if (has_target) return all;
  for (const Stage& stage : df.stages) {
    if (stage.name.empty()) continue;
    all.push_back(base);
    all.back().target = stage.name;
  }
  return all;
}

TEST(InstructionProtoCorpus, RoundTripsParsedAndPlannedInstructions) {
  const std::vector<CorpusCase> corpus = LoadCorpus();
  ASSERT_GE(corpus.size(), 200u) << "corpus data missing from runfiles";
  int files = 0, parsed = 0, plans = 0, planned = 0;
  for (const CorpusCase& c : corpus) {
    absl::StatusOr<Dockerfile> df = ParseDockerfile(c.dockerfile, "Dockerfile");
    if (!df.ok()) continue;  // an error case: nothing typed to carry
    ++files;
    for (const Instruction& arg : df->meta_args) {
      ExpectRoundTrip(arg, absl::StrCat(c.name, ":", arg.start_line));
      ++parsed;
    }
    for (const Stage& stage : df->stages) {
      ExpectRoundTrip(stage.from,
                      absl::StrCat(c.name, ":", stage.from.start_line));
      ++parsed;
      for (const Instruction& x : stage.instructions) {
        ExpectRoundTrip(x, absl::StrCat(c.name, ":", x.start_line));
        ++parsed;
      }
    }
    for (const planner::PlanOptions& options : PlanOptionsFor(c, *df)) {
      absl::StatusOr<planner::PlannedBuild> plan =
          planner::PlanBuild(*df, options);
      if (!plan.ok()) continue;  // fails to plan, as in Docker
      ++plans;
      for (const auto& [stage, instructions] : plan->instructions) {
        for (const Instruction& x : instructions) {
          ExpectRoundTrip(
              x, absl::StrCat(c.name, " planned for \"", options.target,
                              "\" stage ", stage, ":", x.start_line));
          ++planned;
        }
      }
    }
  }
  std::cout << "round-tripped " << parsed << " parsed instructions of " << files
            << " Dockerfiles and " << planned << " expanded instructions of "
            << plans << " plans\n";
  EXPECT_GE(files, 150);
  EXPECT_GE(parsed, 800);
  EXPECT_GE(planned, 650);
}

Instruction Written(InstructionValue value) {
  Instruction x;
  x.keyword = "kw";
  x.original = "kw as written";
  x.flags = {"--a=1", "--b"};
  x.args = {"x", "y z"};
  x.json = true;
  x.heredocs = {Heredoc{"EOF", "body\n\tline\n", true, false, 3},
                Heredoc{"X", "", false, true, 0}};
  x.start_line = 7;
  x.end_line = 11;
  x.value = std::move(value);
  return x;
}

TEST(InstructionProto, AddKeepsUnpackUnsetTrueAndFalse) {
  AddInstruction add;
  add.files.paths = {"a.tar", "https://example.com/b.tgz"};
  add.files.contents = {InlineFile{"EOF", "data\n", false},
                        InlineFile{"TWO", "", true}};
  add.files.dest = "/dest/";
  add.chown = "1:2";
  add.chmod = "0755";
  add.checksum = "sha256:abc";
  add.link = true;
  add.keep_git_dir = true;
  add.excludes = {"*.md", "tmp"};
  for (std::optional<bool> unpack : {std::optional<bool>(), {true}, {false}}) {
    add.unpack = unpack;
    ExpectRoundTrip(Written(add), "ADD");
  }
  // The checks can tell unset from false.
  add.unpack = false;
  proto::TypedInstruction message = ToProto(Written(add));
  message.mutable_add()->clear_unpack();
  absl::StatusOr<Instruction> back = FromProto(message);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(Diff(Written(add), *back), "instruction.add.unpack");
}

TEST(InstructionProto, CopyAndArgDefaults) {
  CopyInstruction copy;
  copy.files.paths = {"src"};
  copy.files.contents = {InlineFile{"EOF", "x", true}};
  copy.files.dest = "/d";
  copy.from = "build";
  copy.chown = "app";
  copy.chmod = "600";
  copy.link = true;
  copy.parents = true;
  copy.excludes = {"x"};
  ExpectRoundTrip(Written(copy), "COPY");

  ArgInstruction arg;
  arg.args = {{"NONE", std::nullopt}, {"EMPTY", ""}, {"SET", "v"}};
  ExpectRoundTrip(Written(arg), "ARG");
  proto::TypedInstruction message = ToProto(Written(arg));
  EXPECT_FALSE(message.arg().args(0).has_default_value());
  EXPECT_TRUE(message.arg().args(1).has_default_value());
}

TEST(InstructionProto, RunWithEveryMountType) {
  RunInstruction run;
  run.command = CommandLine{{"make", "all"}, false};
  run.mount_specs = {"type=bind,from=build,target=/src,rw", "type=cache"};
  Mount bind;
  bind.from = "build";
  bind.source = "/out";
  bind.target = "/src";
  bind.read_only = false;
  Mount cache;
  cache.type = "cache";
  cache.target = "/root/.cache";
  cache.read_only = false;
  cache.id = "go";
  cache.sharing = "locked";
  cache.mode = 0755;
  cache.uid = 1000;
  cache.gid = 0;  // set to zero, which is not unset
  Mount tmpfs;
  tmpfs.type = "tmpfs";
  tmpfs.target = "/tmp";
  tmpfs.read_only = false;
  tmpfs.size_limit = int64_t{64} << 20;
  Mount secret;
  secret.type = "secret";
  secret.id = "token";
  secret.required = true;
  secret.env = "TOKEN";
  secret.mode = 0400;
  Mount env_empty = secret;
  env_empty.env = "";
  Mount ssh;
  ssh.type = "ssh";
  ssh.id = "default";
  ssh.target = "/run/ssh";
  ssh.uid = 0;
  run.mounts = {bind, cache, tmpfs, secret, env_empty, ssh};
  run.network = "none";
  run.security = "insecure";
  ExpectRoundTrip(Written(run), "RUN");

  proto::TypedInstruction message = ToProto(Written(run));
  message.mutable_run()->mutable_mounts(1)->clear_gid();
  absl::StatusOr<Instruction> back = FromProto(message);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(Diff(Written(run), *back), "instruction.run.mounts[1].gid");
}

TEST(InstructionProto, OnbuildTriggerAndTriggerError) {
  absl::StatusOr<Dockerfile> df = ParseDockerfile(
      "FROM scratch\nONBUILD COPY --chown=1 <<EOF /x\nhi\nEOF\n"
      "ONBUILD RUN --bad-flag x\n",
      "Dockerfile");
  ASSERT_TRUE(df.ok()) << df.status();
  ASSERT_EQ(df->stages[0].instructions.size(), 2u);
  const Instruction& with_trigger = df->stages[0].instructions[0];
  const Instruction& with_error = df->stages[0].instructions[1];
  ASSERT_NE(with_trigger.As<OnbuildInstruction>()->trigger, nullptr);
  ASSERT_FALSE(with_error.As<OnbuildInstruction>()->trigger_error.ok());
  ExpectRoundTrip(with_trigger, "ONBUILD COPY");
  ExpectRoundTrip(with_error, "ONBUILD RUN --bad-flag");

  OnbuildInstruction neither;
  neither.expression = "RUN x";
  ExpectRoundTrip(Written(neither), "ONBUILD without trigger");
  OnbuildInstruction both;
  both.expression = "RUN y";
  both.trigger = std::make_shared<const Instruction>(Written(
      RunInstruction{CommandLine{{"y"}, true}, {}, {}, "host", "sandbox"}));
  both.trigger_error = absl::FailedPreconditionError("later");
  ExpectRoundTrip(Written(both), "ONBUILD with trigger and error");

  proto::TypedInstruction message = ToProto(Written(both));
  message.mutable_onbuild()->mutable_trigger()->mutable_run()->set_network("");
  absl::StatusOr<Instruction> back = FromProto(message);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(Diff(Written(both), *back),
            "instruction.onbuild.trigger.run.network");
}

TEST(InstructionProto, HealthcheckAndTheRestOfTheKinds) {
  HealthcheckInstruction check;
  check.test = {"CMD", "curl", "-f", "http://localhost/"};
  check.interval = 30'000'000'000;
  check.timeout = 5'000'000'000;
  check.start_period = 60'000'000'001;
  check.start_interval = 2'000'000'000;
  check.retries = 4;
  ExpectRoundTrip(Written(check), "HEALTHCHECK");
  std::vector<InstructionValue> rest = {
      FromInstruction{"golang:1.22", "$BUILDPLATFORM", "build"},
      CmdInstruction{CommandLine{{}, true}},
      EntrypointInstruction{CommandLine{{"/bin/app", "--x"}, false}},
      LabelInstruction{{{"a", "1", false}, {"b c", "", true}}},
      MaintainerInstruction{"me"},
      ExposeInstruction{{"80/tcp", "443"}},
      EnvInstruction{{{"PATH", "/bin", true}, {"EMPTY", "", false}}},
      VolumeInstruction{{"/data", "/var"}},
      UserInstruction{"1000:1000"},
      WorkdirInstruction{"/app"},
      StopsignalInstruction{"SIGKILL"},
      ShellInstruction{{"/bin/bash", "-c"}},
  };
  for (const InstructionValue& value : rest) {
    Instruction x = Written(value);
    ExpectRoundTrip(x, std::string(x.Kind()));
  }
  // Not valid UTF-8: Dockerfiles need not be.
  ExpectRoundTrip(Written(UserInstruction{"\xff\xfe"}), "USER latin-1");
}

TEST(InstructionProto, RejectsMessagesWithoutValueOrWithBadErrorCode) {
  proto::TypedInstruction empty;
  empty.set_keyword("RUN");
  empty.set_start_line(3);
  absl::StatusOr<Instruction> got = FromProto(empty);
  ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(),
            "typed instruction \"RUN\" at line 3 has no value (or one of a "
            "kind this build does not know)");

  proto::TypedInstruction onbuild;
  onbuild.mutable_onbuild()->mutable_trigger()->set_keyword("COPY");
  got = FromProto(onbuild);
  ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(),
            "onbuild.trigger: typed instruction \"COPY\" at line 0 has no "
            "value (or one of a kind this build does not know)");

  for (int code : {0, 17, -1}) {
    proto::TypedInstruction bad;
    bad.mutable_onbuild()->mutable_trigger_error()->set_code(code);
    got = FromProto(bad);
    ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(got.status().message(),
              absl::StrCat("onbuild.trigger_error.code ", code,
                           " is not an error code of absl::StatusCode"));
  }
}

}  // namespace
}  // namespace farm::dockerfile
