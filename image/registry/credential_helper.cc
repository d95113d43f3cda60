#include "image/registry/credential_helper.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/subprocess.h"
#include "nlohmann/json.hpp"

namespace farm::image::registry {

absl::StatusOr<std::optional<Credential>> RunCredentialHelper(
    const std::string& name, const std::string& server_url) {
  const std::string program = absl::StrCat("docker-credential-", name);
  absl::StatusOr<CommandResult> ran = RunCommand(
      {program, "get"}, absl::Seconds(30), size_t{1} << 20, server_url);
  if (absl::IsNotFound(ran.status())) {
    FARM_LOG(WARNING) << "credential helper " << program
                      << " is not installed; no credential for " << server_url;
    return std::nullopt;
  }
  if (!ran.ok()) return ran.status();
  const std::string output(absl::StripAsciiWhitespace(ran->output));
  if (ran->exit_code != 0) {
    if (absl::StrContains(output, "credentials not found")) {
      return std::nullopt;
    }
    return absl::UnavailableError(
        absl::StrCat(program, " get ", server_url, ": exit code ",
                     ran->exit_code, output.empty() ? "" : ": ", output));
  }
  nlohmann::json answer =
      nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || !answer.is_object() ||
      !answer.value("Username", nlohmann::json()).is_string() ||
      !answer.value("Secret", nlohmann::json()).is_string()) {
    return absl::UnavailableError(absl::StrCat(
        program, " get ", server_url,
        ": want JSON with Username and Secret, got: ", output.substr(0, 200)));
  }
  Credential credential;
  credential.username = answer["Username"].get<std::string>();
  credential.password = answer["Secret"].get<std::string>();
  if (credential.username == "<token>") {
    FARM_LOG(WARNING) << program << " gave an identity token for " << server_url
                      << ", which farm does not use";
    return std::nullopt;
  }
  return credential;
}

}  // namespace farm::image::registry
