#include "dockerfile/instructions.h"

#include <iterator>

namespace farm::dockerfile {
absl::string_view Instruction::Kind() const {
  // In the order of InstructionValue's alternatives.
  static constexpr absl::string_view kNames[] = {
      "FROM",    "RUN", "CMD",     "LABEL",      "MAINTAINER",  "EXPOSE",
      "ENV",     "ADD", "COPY",    "ENTRYPOINT", "VOLUME",      "USER",
      "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"};
  static_assert(std::size(kNames) == std::variant_size_v<InstructionValue>);
  return kNames[value.index()];
}

std::vector<std::string> SourceReferences(const Instruction& instruction) {
  std::vector<std::string> refs;
  if (const auto* copy = instruction.As<CopyInstruction>()) {
    if (!copy->from.empty()) refs.push_back(copy->from);
  } else if (const auto* run = instruction.As<RunInstruction>()) {
    if (!run->mounts.empty()) {
      for (const Mount& mount : run->mounts) {
        if (!mount.from.empty()) refs.push_back(mount.from);
      }
    } else {
      for (const std::string& spec : run->mount_specs) {
        std::string from = MountFrom(spec);
        if (!from.empty()) refs.push_back(from);
      }
    }
  }
  return refs;
}

}  // namespace farm::dockerfile
