#include "worker/compat_case.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "common/fs.h"

namespace farm::worker::testing {

using Json = nlohmann::json;

Json NullIfEmpty(const Json& value) {
  if (value.is_null() ||
      (value.is_string() && value.get<std::string>().empty()) ||
      (value.is_array() && value.empty()) ||
      (value.is_object() && value.empty()) ||
      (value.is_boolean() && !value.get<bool>())) {
    return nullptr;
  }
  return value;
}

Json CompatConfig(const std::string& config_json) {
  Json config = Json::parse(config_json);
  Json out = Json::object();
  for (const char* key : {"architecture", "os", "variant", "author"}) {
    out[key] = NullIfEmpty(config.value(key, Json()));
  }
  Json inner = config.value("config", Json::object());
  for (const char* key : {"User", "Env", "Entrypoint", "Cmd", "WorkingDir",
                          "ExposedPorts", "Volumes", "Labels", "StopSignal",
                          "Healthcheck", "Shell", "OnBuild", "ArgsEscaped"}) {
    out[key] = NullIfEmpty(inner.value(key, Json()));
  }
  return out;
}

Json CompatHistory(const std::string& config_json) {
  Json history = Json::array();
  for (const Json& entry :
       Json::parse(config_json).value("history", Json::array())) {
    history.push_back({{"created_by", entry.value("created_by", "")},
                       {"empty_layer", entry.value("empty_layer", false)}});
  }
  return history;
}

CaseArgs ReadCaseArgs(const std::string& case_dir) {
  CaseArgs out;
  absl::StatusOr<std::string> text = ReadFile(JoinPath(case_dir, "args"));
  if (!text.ok()) return out;
  std::vector<std::string> words =
      absl::StrSplit(absl::StripAsciiWhitespace(*text), ' ', absl::SkipEmpty());
  for (size_t i = 0; i + 1 < words.size(); i += 2) {
    if (words[i] == "--target") out.target = words[i + 1];
    if (words[i] == "--label") {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(words[i + 1], absl::MaxSplits('=', 1));
      out.labels[kv.first] = kv.second;
    }
    if (words[i] == "--build-arg") {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(words[i + 1], absl::MaxSplits('=', 1));
      out.build_args[kv.first] = kv.second;
    }
  }
  return out;
}

}  // namespace farm::worker::testing
