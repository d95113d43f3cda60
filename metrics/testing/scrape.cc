#include "metrics/testing/scrape.h"

#include <limits>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "prometheus/text_serializer.h"

namespace farm::metrics::testing {

namespace {

struct ParsedSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// `name{k="v",...} value`, or `name value`; false for anything else.
bool ParseLine(const std::string& line, ParsedSample* out) {
  size_t i = line.find_first_of("{ ");
  if (i == std::string::npos) return false;
  out->name = line.substr(0, i);
  out->labels.clear();
  if (line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find("=\"", i);
      if (eq == std::string::npos) return false;
      std::string key = line.substr(i, eq - i);
      std::string value;
      size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size()) ++j;
        value += line[j];
      }
      out->labels[key] = value;
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    ++i;  // the '}'
  }
  std::string rest = line.substr(i);
  std::vector<std::string> fields =
      absl::StrSplit(rest, ' ', absl::SkipEmpty());
  if (fields.empty()) return false;
  if (fields[0] == "+Inf") {
    out->value = std::numeric_limits<double>::infinity();
    return true;
  }
  return absl::SimpleAtod(fields[0], &out->value);
}

}  // namespace

std::string Scrape(const prometheus::Collectable& collectable) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, collectable.Collect());
  return out.str();
}

std::optional<double> Sample(const std::string& text, const std::string& name,
                             const std::map<std::string, std::string>& labels) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    ParsedSample sample;
    if (!ParseLine(std::string(line), &sample)) continue;
    if (sample.name == name && sample.labels == labels) return sample.value;
  }
  return std::nullopt;
}

}  // namespace farm::metrics::testing
