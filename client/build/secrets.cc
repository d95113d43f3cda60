#include "client/build/secrets.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/fs.h"
#include "common/status_macros.h"
#include "dockerfile/mount.h"

namespace farm::client::build {

absl::StatusOr<SecretSource> ParseSecretFlag(absl::string_view text) {
  auto error = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--secret ", text, ": ", why));
  };
  absl::StatusOr<std::vector<std::string>> fields =
      dockerfile::SplitMountFields(text);
  if (!fields.ok()) return error(fields.status().message());
  SecretSource source;
  std::string type;
  for (const std::string& field : *fields) {
    size_t eq = field.find('=');
    if (eq == std::string::npos) {
      return error(absl::StrCat("\"", field, "\" is not key=value"));
    }
    const std::string key = field.substr(0, eq);
    const std::string value = field.substr(eq + 1);
    if (key == "type") {
      if (value != "file" && value != "env") {
        return error(absl::StrCat("unsupported secret type \"", value,
                                  "\" (file or env)"));
      }
      type = value;
    } else if (key == "id") {
      source.id = value;
    } else if (key == "src" || key == "source") {
      source.file = value;
    } else if (key == "env") {
      source.env = value;
    } else {
      return error(absl::StrCat("unexpected key \"", key, "\""));
    }
  }
  // `type=env,src=VAR` names the variable, as buildx reads it.
  if (type == "env" && source.env.empty()) std::swap(source.env, source.file);
  if (source.id.empty()) return error("the secret id is missing (id=...)");
  return source;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<std::map<std::string, std::string>> ReadSecrets(
    const std::vector<SecretSource>& sources, const EnvLookup& env) {
  std::map<std::string, std::string> values;
  for (SecretSource source : sources) {
    auto context = [&](const absl::Status& status) {
      return Annotate(status, absl::StrCat("--secret id=", source.id));
    };
    if (source.file.empty() && source.env.empty()) {
      if (env(source.id).has_value()) {
        source.env = source.id;
      } else {
        source.file = source.id;
      }
    }
    std::string value;
    if (!source.env.empty()) {
      std::optional<std::string> found = env(source.env);
      if (!found.has_value()) {
        return context(absl::NotFoundError(absl::StrCat(
            "the environment variable ", source.env, " is not set")));
      }
      value = *std::move(found);
    } else {
      absl::StatusOr<std::string> read = ReadFile(source.file);
      if (!read.ok()) return context(read.status());
      value = *std::move(read);
    }
    if (value.size() > kMaxSecretBytes) {
      return context(absl::InvalidArgumentError(
          absl::StrCat("the secret is ", value.size(),
                       " bytes; the limit is ", kMaxSecretBytes)));
    }
    values[source.id] = std::move(value);
  }
  return values;
}

}  // namespace farm::client::build
