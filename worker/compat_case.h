// The tests/compat corpus as the worker's tests read it: a case's build
// flags, and an image config turned into expected.json's "config" and
// "history" forms, so a config farm made compares field by field with the
// one Docker recorded.
#ifndef FARM_WORKER_COMPAT_CASE_H_
#define FARM_WORKER_COMPAT_CASE_H_

#include <map>
#include <string>

#include "nlohmann/json.hpp"

namespace farm::worker::testing {

// Absent, null, "", [], {} and false all read as null, as Go's omitempty
// writes them the same.
nlohmann::json NullIfEmpty(const nlohmann::json& value);

// The expected.json "config" object of an image config: architecture, os,
// variant, author and the container config fields, each NullIfEmpty.
nlohmann::json CompatConfig(const std::string& config_json);

// The expected.json "history" list: created_by and empty_layer per entry.
nlohmann::json CompatHistory(const std::string& config_json);

// A case's `args` file (--target T, --build-arg K=V); empty when absent.
struct CaseArgs {
  std::string target;
  std::map<std::string, std::string> build_args;
  std::map<std::string, std::string> labels;  // --label K=V
};
CaseArgs ReadCaseArgs(const std::string& case_dir);

}  // namespace farm::worker::testing

#endif  // FARM_WORKER_COMPAT_CASE_H_
