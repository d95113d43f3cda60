#include "dockerfile/mount.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dockerfile/suggest.h"
#include "dockerfile/text.h"

namespace farm::dockerfile {
namespace {

absl::Status Error(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

bool IsFileInfoType(const std::string& type) {
  return type == "secret" || type == "ssh" || type == "cache";
}

// One CSV value, quoted when a reader would otherwise split or unquote it.
std::string CsvField(const std::string& field) {
  bool quote =
      field.find_first_of(",\"\r\n") != std::string::npos ||
      (!field.empty() && (field.front() == ' ' || field.back() == ' '));
  if (!quote) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

bool Mount::operator==(const Mount& o) const {
  return type == o.type && from == o.from && source == o.source &&
         target == o.target && read_only == o.read_only &&
         size_limit == o.size_limit && id == o.id && sharing == o.sharing &&
         required == o.required && env == o.env && mode == o.mode &&
         uid == o.uid && gid == o.gid;
}

absl::StatusOr<std::vector<std::string>> SplitMountFields(
    absl::string_view value) {
  std::vector<std::string> fields;
  size_t i = 0;
  int column = 1;
  while (true) {
    std::string field;
    if (i < value.size() && value[i] == '"') {
      ++i;
      bool closed = false;
      while (i < value.size()) {
        if (value[i] == '"') {
          if (i + 1 < value.size() && value[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        field.push_back(value[i]);
        ++i;
      }
      if (!closed || (i < value.size() && value[i] != ',')) {
        return Error(absl::StrCat(
            "failed to parse csv mounts: parse error on line 1, column ",
            column + static_cast<int>(i),
            ": extraneous or missing \" in "
            "quoted-field"));
      }
    } else {
      while (i < value.size() && value[i] != ',') {
        if (value[i] == '"') {
          return Error(absl::StrCat(
              "failed to parse csv mounts: parse error on line 1, column ",
              column + static_cast<int>(i), ": bare \" in non-quoted-field"));
        }
        field.push_back(value[i]);
        ++i;
      }
    }
    fields.push_back(std::move(field));
    if (i >= value.size()) break;
    ++i;  // the comma
  }
  return fields;
}

absl::Status CheckMountSyntax(absl::string_view value) {
  absl::StatusOr<std::vector<std::string>> fields = SplitMountFields(value);
  if (!fields.ok()) return fields.status();
  for (const std::string& field : *fields) {
    size_t eq = field.find('=');
    if (eq == std::string::npos) continue;
    if (absl::AsciiStrToLower(field.substr(0, eq)) != "from") continue;
    std::string v = field.substr(eq + 1);
    size_t dollar = v.find('$');
    if (dollar != std::string::npos && dollar != v.size() - 1) {
      return Error(
          "'from' doesn't support variable expansion, define alias stage "
          "instead");
    }
  }
  return absl::OkStatus();
}

std::string MountFrom(absl::string_view value) {
  absl::StatusOr<std::vector<std::string>> fields = SplitMountFields(value);
  if (!fields.ok()) return "";
  std::string from;
  for (const std::string& field : *fields) {
    size_t eq = field.find('=');
    if (eq != std::string::npos &&
        absl::AsciiStrToLower(field.substr(0, eq)) == "from") {
      from = field.substr(eq + 1);
    }
  }
  return from;
}

std::optional<int64_t> ParseRamInBytes(absl::string_view s) {
  // ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$
  size_t i = 0;
  while (i < s.size() && (absl::ascii_isdigit(s[i]) || s[i] == '.')) ++i;
  absl::string_view number = s.substr(0, i);
  if (number.empty() || !absl::ascii_isdigit(number[0]) ||
      !absl::ascii_isdigit(number.back()) ||
      number.find("..") != absl::string_view::npos) {
    return std::nullopt;
  }
  absl::string_view suffix = s.substr(i);
  if (!suffix.empty() && suffix[0] == ' ') suffix.remove_prefix(1);
  double multiplier = 1;
  if (!suffix.empty()) {
    switch (absl::ascii_tolower(suffix[0])) {
      case 'k':
        multiplier = 1024.0;
        suffix.remove_prefix(1);
        break;
      case 'm':
        multiplier = 1024.0 * 1024;
        suffix.remove_prefix(1);
        break;
      case 'g':
        multiplier = 1024.0 * 1024 * 1024;
        suffix.remove_prefix(1);
        break;
      case 't':
        multiplier = 1024.0 * 1024 * 1024 * 1024;
        suffix.remove_prefix(1);
        break;
      case 'p':
        multiplier = 1024.0 * 1024 * 1024 * 1024 * 1024;
        suffix.remove_prefix(1);
        break;
      default:
        break;
    }
  }
  if (!suffix.empty() && (suffix[0] == 'i' || suffix[0] == 'I')) {
    suffix.remove_prefix(1);
  }
  if (!suffix.empty() && (suffix[0] == 'b' || suffix[0] == 'B')) {
    suffix.remove_prefix(1);
  }
  if (!suffix.empty()) return std::nullopt;
  // "1.2.3" matches the pattern, but Go's ParseFloat then fails.
  double value;
  if (std::count(number.begin(), number.end(), '.') > 1 ||
      !absl::SimpleAtod(number, &value)) {
    return std::nullopt;
  }
  double bytes = value * multiplier;
  if (!std::isfinite(bytes) || bytes >= 9.2e18) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

absl::StatusOr<Mount> ParseMount(absl::string_view spec,
                                 const WordExpander& expand) {
  absl::StatusOr<std::vector<std::string>> fields = SplitMountFields(spec);
  if (!fields.ok()) return fields.status();
  Mount m;
  bool read_only_auto = true;
  for (const std::string& field : *fields) {
    size_t eq = field.find('=');
    std::string key = absl::AsciiStrToLower(field.substr(0, eq));
    if (eq == std::string::npos) {
      if (key == "readonly" || key == "ro") {
        m.read_only = true;
        read_only_auto = false;
        continue;
      }
      if (key == "readwrite" || key == "rw") {
        m.read_only = false;
        read_only_auto = false;
        continue;
      }
      if (key == "required") {
        if (m.type == "secret" || m.type == "ssh") {
          m.required = true;
          continue;
        }
        return Error(absl::StrCat("unexpected key '", key, "' for mount type '",
                                  m.type, "'"));
      }
      return Error(
          absl::StrCat("invalid field '", field, "' must be a key=value pair"));
    }
    absl::StatusOr<std::string> expanded = expand(field.substr(eq + 1));
    if (!expanded.ok()) return expanded.status();
    const std::string& value = *expanded;
    auto bad_value = [&] {
      return Error(absl::StrCat("invalid value for ", key, ": ", value));
    };
    auto wrong_type = [&] {
      return Error(absl::StrCat("unexpected key '", key, "' for mount type '",
                                m.type, "'"));
    };
    if (key == "type") {
      std::string type = absl::AsciiStrToLower(value);
      static const std::vector<std::string> kTypes = {"bind", "cache", "tmpfs",
                                                      "secret", "ssh"};
      if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
        return Error(AppendSuggestion(
            absl::StrCat("unsupported mount type ", GoQuote(value)), value,
            kTypes, true));
      }
      m.type = type;
    } else if (key == "from") {
      m.from = value;
    } else if (key == "source" || key == "src") {
      m.source = value;
    } else if (key == "target" || key == "dst" || key == "destination") {
      m.target = value;
    } else if (key == "readonly" || key == "ro" || key == "readwrite" ||
               key == "rw") {
      std::optional<bool> b = ParseGoBool(value);
      if (!b) return bad_value();
      m.read_only = (key == "readonly" || key == "ro") ? *b : !*b;
      read_only_auto = false;
    } else if (key == "required") {
      if (m.type != "secret" && m.type != "ssh") return wrong_type();
      std::optional<bool> b = ParseGoBool(value);
      if (!b) return bad_value();
      m.required = *b;
    } else if (key == "size") {
      if (m.type != "tmpfs") return wrong_type();
      std::optional<int64_t> size = ParseRamInBytes(value);
      if (!size) return bad_value();
      m.size_limit = *size;
    } else if (key == "id") {
      m.id = value;
    } else if (key == "sharing") {
      std::string sharing = absl::AsciiStrToLower(value);
      static const std::vector<std::string> kModes = {"shared", "private",
                                                      "locked"};
      if (std::find(kModes.begin(), kModes.end(), sharing) == kModes.end()) {
        return Error(AppendSuggestion(
            absl::StrCat("unsupported sharing value ", GoQuote(value)), value,
            kModes, true));
      }
      m.sharing = sharing;
    } else if (key == "mode" || key == "uid" || key == "gid") {
      std::optional<uint64_t> n =
          ParseGoUint(value, key == "mode" ? 8 : 10, 32);
      if (!n) {
        return Error(absl::StrCat("invalid value ", value, " for ", key));
      }
      uint32_t v = static_cast<uint32_t>(*n);
      (key == "mode" ? m.mode : key == "uid" ? m.uid : m.gid) = v;
    } else if (key == "env") {
      m.env = value;
    } else {
      static const std::vector<std::string> kKeys = {
          "type", "from",    "source",    "target", "readonly",
          "id",   "sharing", "required",  "size",   "mode",
          "uid",  "gid",     "src",       "dst",    "destination",
          "ro",   "rw",      "readwrite", "env"};
      return Error(AppendSuggestion(
          absl::StrCat("unexpected key '", key, "' in '", field, "'"), key,
          kKeys, true));
    }
  }
  if (!IsFileInfoType(m.type)) {
    for (const auto& [name, set] :
         {std::pair<const char*, bool>{"mode", m.mode.has_value()},
          {"uid", m.uid.has_value()},
          {"gid", m.gid.has_value()}}) {
      if (set) {
        return Error(absl::StrCat(name, " not allowed for ", GoQuote(m.type),
                                  " type mounts"));
      }
    }
  }
  if (read_only_auto) m.read_only = !(m.type == "cache" || m.type == "tmpfs");
  if (m.type == "secret") {
    if (!m.from.empty()) return Error("secret mount should not have a from");
    if (!m.sharing.empty()) {
      return Error("secret mount should not define sharing");
    }
    if (m.source.empty() && m.target.empty() && m.id.empty()) {
      return Error("invalid secret mount. one of source, target required");
    }
    if (!m.source.empty() && !m.id.empty()) {
      return Error("both source and id can't be set");
    }
  }
  if (!m.sharing.empty() && m.type != "cache") {
    return Error(
        absl::StrCat("invalid cache sharing set for ", m.type, " mount"));
  }
  if (m.type == "cache" && m.sharing.empty()) m.sharing = "shared";
  return m;
}

std::string FormatMount(const Mount& m) {
  std::vector<std::string> parts;
  parts.push_back("type=" + m.type);
  auto add = [&](const char* key, const std::string& value) {
    parts.push_back(CsvField(absl::StrCat(key, "=", value)));
  };
  if (!m.from.empty()) add("from", m.from);
  if (!m.source.empty()) add("source", m.source);
  if (!m.target.empty()) add("target", m.target);
  bool default_read_only = !(m.type == "cache" || m.type == "tmpfs");
  if (m.read_only != default_read_only)
    add("ro", m.read_only ? "true" : "false");
  if (!m.id.empty()) add("id", m.id);
  if (!m.sharing.empty() && m.sharing != "shared") add("sharing", m.sharing);
  if (m.required) add("required", "true");
  if (m.size_limit != 0) add("size", absl::StrCat(m.size_limit));
  if (m.env) add("env", *m.env);
  if (m.mode) add("mode", absl::StrFormat("%04o", *m.mode));
  if (m.uid) add("uid", absl::StrCat(*m.uid));
  if (m.gid) add("gid", absl::StrCat(*m.gid));
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += parts[i];
  }
  return out;
}

std::string SecretId(const Mount& mount) {
  if (!mount.id.empty()) return mount.id;
  if (!mount.source.empty()) return mount.source;
  // The base name, as common/fs.h's BaseName reads it.
  absl::string_view target = mount.target;
  while (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
  if (target.empty()) return ".";
  if (target == "/") return "/";
  size_t slash = target.rfind('/');
  if (slash == absl::string_view::npos) return std::string(target);
  return std::string(target.substr(slash + 1));
}

}  // namespace farm::dockerfile
