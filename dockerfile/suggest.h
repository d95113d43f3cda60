// "Did you mean ...?" hints for misspelled instructions, flags and mount keys,
// chosen by edit distance as BuildKit does.
#ifndef FARM_DOCKERFILE_SUGGEST_H_
#define FARM_DOCKERFILE_SUGGEST_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace farm::dockerfile {

// The option closest to `value` when it is close enough to be a likely typo
// (and not equal to it); empty otherwise.
std::string Suggest(absl::string_view value,
                    const std::vector<std::string>& options,
                    bool case_sensitive);

// `message` followed by " (did you mean X?)" when Suggest finds X.
std::string AppendSuggestion(std::string message, absl::string_view value,
                             const std::vector<std::string>& options,
                             bool case_sensitive);

}  // namespace farm::dockerfile

#endif  // FARM_DOCKERFILE_SUGGEST_H_
