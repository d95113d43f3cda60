#include "dockerfile/instruction_proto.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace farm::dockerfile {
namespace {

using P = proto::TypedInstruction;
using Strings = google::protobuf::RepeatedPtrField<std::string>;

void PutStrings(const std::vector<std::string>& from, Strings* to) {
  to->Reserve(static_cast<int>(from.size()));
  for (const std::string& s : from) to->Add(std::string(s));
}

std::vector<std::string> GetStrings(const Strings& from) {
  return std::vector<std::string>(from.begin(), from.end());
}

void PutHeredoc(const Heredoc& in, P::Heredoc* out) {
  out->set_name(in.name);
  out->set_content(in.content);
  out->set_chomp(in.chomp);
  out->set_expand(in.expand);
  out->set_fd(in.fd);
}

Heredoc GetHeredoc(const P::Heredoc& in) {
  Heredoc out;
  out.name = in.name();
  out.content = in.content();
  out.chomp = in.chomp();
  out.expand = in.expand();
  out.fd = in.fd();
  return out;
}

void PutKeyValues(const std::vector<KeyValue>& in,
                  google::protobuf::RepeatedPtrField<P::KeyValue>* out) {
  for (const KeyValue& kv : in) {
    P::KeyValue* p = out->Add();
    p->set_key(kv.key);
    p->set_value(kv.value);
    p->set_legacy(kv.legacy);
  }
}

std::vector<KeyValue> GetKeyValues(
    const google::protobuf::RepeatedPtrField<P::KeyValue>& in) {
  std::vector<KeyValue> out;
  for (const P::KeyValue& p : in)
    out.push_back({p.key(), p.value(), p.legacy()});
  return out;
}

void PutCommand(const CommandLine& in, P::CommandLine* out) {
  PutStrings(in.args, out->mutable_args());
  out->set_shell_form(in.shell_form);
}

CommandLine GetCommand(const P::CommandLine& in) {
  return CommandLine{GetStrings(in.args()), in.shell_form()};
}

void PutMount(const Mount& in, P::Mount* out) {
  out->set_type(in.type);
  out->set_from(in.from);
  out->set_source(in.source);
  out->set_target(in.target);
  out->set_read_only(in.read_only);
  out->set_size_limit(in.size_limit);
  out->set_id(in.id);
  out->set_sharing(in.sharing);
  out->set_required(in.required);
  if (in.env) out->set_env(*in.env);
  if (in.mode) out->set_mode(*in.mode);
  if (in.uid) out->set_uid(*in.uid);
  if (in.gid) out->set_gid(*in.gid);
}

Mount GetMount(const P::Mount& in) {
  Mount out;
  out.type = in.type();
  out.from = in.from();
  out.source = in.source();
  out.target = in.target();
  out.read_only = in.read_only();
  out.size_limit = in.size_limit();
  out.id = in.id();
  out.sharing = in.sharing();
  out.required = in.required();
  if (in.has_env()) out.env = in.env();
  if (in.has_mode()) out.mode = in.mode();
  if (in.has_uid()) out.uid = in.uid();
  if (in.has_gid()) out.gid = in.gid();
  return out;
}

void PutFiles(const FileSources& in, P::FileSources* out) {
  PutStrings(in.paths, out->mutable_paths());
  for (const InlineFile& file : in.contents) {
    P::InlineFile* p = out->add_contents();
    p->set_name(file.name);
    p->set_data(file.data);
    p->set_expand(file.expand);
  }
  out->set_dest(in.dest);
}

FileSources GetFiles(const P::FileSources& in) {
  FileSources out;
  out.paths = GetStrings(in.paths());
  for (const P::InlineFile& p : in.contents()) {
    out.contents.push_back({p.name(), p.data(), p.expand()});
  }
  out.dest = in.dest();
  return out;
}

// Fills the oneof of `out` from one alternative of InstructionValue.
struct ValueWriter {
  P* out;

  void operator()(const FromInstruction& v) const {
    P::From* p = out->mutable_from();
    p->set_base(v.base);
    p->set_platform(v.platform);
    p->set_name(v.name);
  }
  void operator()(const RunInstruction& v) const {
    P::Run* p = out->mutable_run();
    PutCommand(v.command, p->mutable_command());
    PutStrings(v.mount_specs, p->mutable_mount_specs());
    for (const Mount& m : v.mounts) PutMount(m, p->add_mounts());
    p->set_network(v.network);
    p->set_security(v.security);
  }
  void operator()(const CmdInstruction& v) const {
    PutCommand(v.command, out->mutable_cmd()->mutable_command());
  }
  void operator()(const EntrypointInstruction& v) const {
    PutCommand(v.command, out->mutable_entrypoint()->mutable_command());
  }
  void operator()(const LabelInstruction& v) const {
    PutKeyValues(v.labels, out->mutable_label()->mutable_labels());
  }
  void operator()(const MaintainerInstruction& v) const {
    out->mutable_maintainer()->set_name(v.name);
  }
  void operator()(const ExposeInstruction& v) const {
    PutStrings(v.ports, out->mutable_expose()->mutable_ports());
  }
  void operator()(const EnvInstruction& v) const {
    PutKeyValues(v.vars, out->mutable_env()->mutable_vars());
  }
  void operator()(const AddInstruction& v) const {
    P::Add* p = out->mutable_add();
    PutFiles(v.files, p->mutable_files());
    p->set_chown(v.chown);
    p->set_chmod(v.chmod);
    p->set_checksum(v.checksum);
    p->set_link(v.link);
    p->set_keep_git_dir(v.keep_git_dir);
    if (v.unpack) p->set_unpack(*v.unpack);
    PutStrings(v.excludes, p->mutable_excludes());
  }
  void operator()(const CopyInstruction& v) const {
    P::Copy* p = out->mutable_copy();
    PutFiles(v.files, p->mutable_files());
    p->set_from(v.from);
    p->set_chown(v.chown);
    p->set_chmod(v.chmod);
    p->set_link(v.link);
    p->set_parents(v.parents);
    PutStrings(v.excludes, p->mutable_excludes());
  }
  void operator()(const VolumeInstruction& v) const {
    PutStrings(v.paths, out->mutable_volume()->mutable_paths());
  }
  void operator()(const UserInstruction& v) const {
    out->mutable_user()->set_user(v.user);
  }
  void operator()(const WorkdirInstruction& v) const {
    out->mutable_workdir()->set_path(v.path);
  }
  void operator()(const ArgInstruction& v) const {
    P::Arg* p = out->mutable_arg();
    for (const ArgDefinition& def : v.args) {
      P::ArgDefinition* d = p->add_args();
      d->set_name(def.name);
      if (def.default_value) d->set_default_value(*def.default_value);
    }
  }
  void operator()(const OnbuildInstruction& v) const {
    P::Onbuild* p = out->mutable_onbuild();
    p->set_expression(v.expression);
    if (v.trigger) *p->mutable_trigger() = ToProto(*v.trigger);
    if (!v.trigger_error.ok()) {
      p->mutable_trigger_error()->set_code(
          static_cast<int32_t>(v.trigger_error.code()));
      p->mutable_trigger_error()->set_message(
          std::string(v.trigger_error.message()));
    }
  }
  void operator()(const StopsignalInstruction& v) const {
    out->mutable_stopsignal()->set_signal(v.signal);
  }
  void operator()(const HealthcheckInstruction& v) const {
    P::Healthcheck* p = out->mutable_healthcheck();
    PutStrings(v.test, p->mutable_test());
    p->set_interval_ns(v.interval);
    p->set_timeout_ns(v.timeout);
    p->set_start_period_ns(v.start_period);
    p->set_start_interval_ns(v.start_interval);
    p->set_retries(v.retries);
  }
  void operator()(const ShellInstruction& v) const {
    PutStrings(v.shell, out->mutable_shell()->mutable_shell());
  }
};

absl::StatusOr<OnbuildInstruction> GetOnbuild(const P::Onbuild& in) {
  OnbuildInstruction out;
  out.expression = in.expression();
  if (in.has_trigger()) {
    absl::StatusOr<Instruction> trigger = FromProto(in.trigger());
    if (!trigger.ok()) return Annotate(trigger.status(), "onbuild.trigger");
    out.trigger = std::make_shared<const Instruction>(*std::move(trigger));
  }
  if (in.has_trigger_error()) {
    const int32_t code = in.trigger_error().code();
    // ToProto leaves an OK status out, so a present error is never OK.
    if (code <= 0 ||
        code > static_cast<int32_t>(absl::StatusCode::kUnauthenticated)) {
      return absl::InvalidArgumentError(
          absl::StrCat("onbuild.trigger_error.code ", code,
                       " is not an error code of absl::StatusCode"));
    }
    out.trigger_error = absl::Status(static_cast<absl::StatusCode>(code),
                                     in.trigger_error().message());
  }
  return out;
}

absl::StatusOr<InstructionValue> GetValue(const P& in) {
  switch (in.value_case()) {
    case P::kFrom:
      return FromInstruction{in.from().base(), in.from().platform(),
                             in.from().name()};
    case P::kRun: {
      RunInstruction run;
      run.command = GetCommand(in.run().command());
      run.mount_specs = GetStrings(in.run().mount_specs());
      for (const P::Mount& m : in.run().mounts()) {
        run.mounts.push_back(GetMount(m));
      }
      run.network = in.run().network();
      run.security = in.run().security();
      return run;
    }
    case P::kCmd:
      return CmdInstruction{GetCommand(in.cmd().command())};
    case P::kEntrypoint:
      return EntrypointInstruction{GetCommand(in.entrypoint().command())};
    case P::kLabel:
      return LabelInstruction{GetKeyValues(in.label().labels())};
    case P::kMaintainer:
      return MaintainerInstruction{in.maintainer().name()};
    case P::kExpose:
      return ExposeInstruction{GetStrings(in.expose().ports())};
    case P::kEnv:
      return EnvInstruction{GetKeyValues(in.env().vars())};
    case P::kAdd: {
      const P::Add& p = in.add();
      AddInstruction add;
      add.files = GetFiles(p.files());
      add.chown = p.chown();
      add.chmod = p.chmod();
      add.checksum = p.checksum();
      add.link = p.link();
      add.keep_git_dir = p.keep_git_dir();
      if (p.has_unpack()) add.unpack = p.unpack();
      add.excludes = GetStrings(p.excludes());
      return add;
    }
    case P::kCopy: {
      const P::Copy& p = in.copy();
      CopyInstruction copy;
      copy.files = GetFiles(p.files());
      copy.from = p.from();
      copy.chown = p.chown();
      copy.chmod = p.chmod();
      copy.link = p.link();
      copy.parents = p.parents();
      copy.excludes = GetStrings(p.excludes());
      return copy;
    }
    case P::kVolume:
      return VolumeInstruction{GetStrings(in.volume().paths())};
    case P::kUser:
      return UserInstruction{in.user().user()};
    case P::kWorkdir:
      return WorkdirInstruction{in.workdir().path()};
    case P::kArg: {
      ArgInstruction arg;
      for (const P::ArgDefinition& d : in.arg().args()) {
        ArgDefinition def{d.name(), std::nullopt};
        if (d.has_default_value()) def.default_value = d.default_value();
        arg.args.push_back(std::move(def));
      }
      return arg;
    }
    case P::kOnbuild: {
      ASSIGN_OR_RETURN(OnbuildInstruction onbuild, GetOnbuild(in.onbuild()));
      return onbuild;
    }
    case P::kStopsignal:
      return StopsignalInstruction{in.stopsignal().signal()};
    case P::kHealthcheck: {
      const P::Healthcheck& p = in.healthcheck();
      HealthcheckInstruction check;
      check.test = GetStrings(p.test());
      check.interval = p.interval_ns();
      check.timeout = p.timeout_ns();
      check.start_period = p.start_period_ns();
      check.start_interval = p.start_interval_ns();
      check.retries = p.retries();
      return check;
    }
    case P::kShell:
      return ShellInstruction{GetStrings(in.shell().shell())};
    case P::VALUE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "typed instruction \"", in.keyword(), "\" at line ", in.start_line(),
      " has no value (or one of a kind this build does not know)"));
}

}  // namespace

proto::TypedInstruction ToProto(const Instruction& instruction) {
  P out;
  out.set_keyword(instruction.keyword);
  out.set_original(instruction.original);
  PutStrings(instruction.flags, out.mutable_flags());
  PutStrings(instruction.args, out.mutable_args());
  out.set_json(instruction.json);
  for (const Heredoc& heredoc : instruction.heredocs) {
    PutHeredoc(heredoc, out.add_heredocs());
  }
  out.set_start_line(instruction.start_line);
  out.set_end_line(instruction.end_line);
  std::visit(ValueWriter{&out}, instruction.value);
  return out;
}

absl::StatusOr<Instruction> FromProto(const proto::TypedInstruction& message) {
  Instruction out;
  ASSIGN_OR_RETURN(out.value, GetValue(message));
  out.keyword = message.keyword();
  out.original = message.original();
  out.flags = GetStrings(message.flags());
  out.args = GetStrings(message.args());
  out.json = message.json();
  for (const P::Heredoc& heredoc : message.heredocs()) {
    out.heredocs.push_back(GetHeredoc(heredoc));
  }
  out.start_line = message.start_line();
  out.end_line = message.end_line();
  return out;
}

}  // namespace farm::dockerfile
