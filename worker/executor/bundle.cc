#include "worker/executor/bundle.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "worker/executor/etc_files.h"
#include "worker/executor/oci_spec.h"

namespace farm::executor {

absl::StatusOr<std::vector<MountStubs::Target>> WriteBundle(
    const BundleRequest& request) {
  const ProcessSpec& spec = *request.spec;
  SpecInputs inputs = request.inputs;
  inputs.hosts_file = JoinPath(request.dir, "hosts");
  inputs.resolv_conf_file = JoinPath(request.dir, "resolv.conf");
  RETURN_IF_ERROR(
      WriteFile(inputs.hosts_file, HostsFileContent(spec.hostname)));
  RETURN_IF_ERROR(
      WriteFile(inputs.resolv_conf_file,
                ResolvConfContent(request.host_resolv_conf, spec.network)));
  if (spec.bind_etc_hostname) {
    inputs.hostname_file = JoinPath(request.dir, "hostname");
    RETURN_IF_ERROR(
        WriteFile(inputs.hostname_file, absl::StrCat(spec.hostname, "\n")));
  }

  nlohmann::json config = BuildOciSpec(spec, inputs);
  RETURN_IF_ERROR(
      WriteFile(JoinPath(request.dir, "config.json"), config.dump(2)));

  std::vector<MountStubs::Target> targets;
  for (const nlohmann::json& mount : config["mounts"]) {
    MountStubs::Target target;
    target.path = mount["destination"].get<std::string>();
    if (mount["type"] == "bind") {
      struct stat st;
      std::string source = mount["source"].get<std::string>();
      if (stat(source.c_str(), &st) != 0) {
        return ErrnoStatus(errno, absl::StrCat("mount source ", source));
      }
      target.is_file = !S_ISDIR(st.st_mode);
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

}  // namespace farm::executor
