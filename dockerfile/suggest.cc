#include "dockerfile/suggest.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace farm::dockerfile {
namespace {

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string Suggest(absl::string_view value,
                    const std::vector<std::string>& options,
                    bool case_sensitive) {
  // Long inputs are never typos of short keywords; skip the quadratic work.
  if (value.empty() || value.size() > 64) return "";
  std::string v =
      case_sensitive ? std::string(value) : absl::AsciiStrToLower(value);
  std::string best;
  size_t best_distance = 0;
  for (const std::string& option : options) {
    std::string o = case_sensitive ? option : absl::AsciiStrToLower(option);
    if (o == v) return "";
    size_t distance = EditDistance(v, o);
    // At most two edits, and fewer edits than the word has letters.
    if (distance <= 2 && distance < v.size() &&
        (best.empty() || distance < best_distance)) {
      best = option;
      best_distance = distance;
    }
  }
  return best;
}

std::string AppendSuggestion(std::string message, absl::string_view value,
                             const std::vector<std::string>& options,
                             bool case_sensitive) {
  std::string match = Suggest(value, options, case_sensitive);
  if (!match.empty()) absl::StrAppend(&message, " (did you mean ", match, "?)");
  return message;
}

}  // namespace farm::dockerfile
