#include "image/registry/challenge.h"

#include "absl/strings/ascii.h"

namespace farm::image::registry {
namespace {

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

class Scanner {
 public:
  explicit Scanner(absl::string_view s) : s_(s) {}
  bool Done() {
    SkipSpace();
    return i_ >= s_.size();
  }
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  std::string Token() {
    SkipSpace();
    size_t start = i_;
    while (i_ < s_.size() && IsTokenChar(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  // A quoted-string with backslash escapes, or bare text up to a comma or
  // space (servers put unquoted URLs here).
  std::string Value() {
    SkipSpace();
    if (i_ >= s_.size() || s_[i_] != '"') {
      size_t start = i_;
      while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != ' ' &&
             s_[i_] != '\t') {
        ++i_;
      }
      return std::string(s_.substr(start, i_ - start));
    }
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      out.push_back(s_[i_++]);
    }
    if (i_ < s_.size()) ++i_;
    return out;
  }
  // Whether the next thing is "name=" (a parameter) rather than a scheme.
  bool AtParam() {
    size_t save = i_;
    std::string name = Token();
    bool is_param = !name.empty() && Consume('=');
    i_ = save;
    return is_param;
  }
  size_t pos() const { return i_; }

 private:
  absl::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::vector<Challenge> ParseChallenges(absl::string_view header) {
  std::vector<Challenge> out;
  Scanner sc(header);
  while (!sc.Done()) {
    if (sc.Consume(',')) continue;
    std::string scheme = sc.Token();
    if (scheme.empty()) break;
    Challenge c;
    c.scheme = absl::AsciiStrToLower(scheme);
    while (!sc.Done()) {
      size_t before = sc.pos();
      if (!sc.AtParam()) break;
      std::string name = absl::AsciiStrToLower(sc.Token());
      sc.Consume('=');
      c.params[name] = sc.Value();
      if (!sc.Consume(',')) break;
      if (sc.pos() == before) break;
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace farm::image::registry
