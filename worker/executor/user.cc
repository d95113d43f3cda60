#include "worker/executor/user.h"

#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "worker/executor/rooted_path.h"

namespace farm::executor {
namespace {

constexpr int64_t kMaxId = std::numeric_limits<int32_t>::max();

struct PasswdEntry {
  std::string name;
  int64_t uid = 0;
  int64_t gid = 0;
};

struct GroupEntry {
  std::string name;
  int64_t gid = 0;
  std::vector<std::string> members;
};

// Go's strconv.Atoi, which runc uses for ids: optional sign, decimal digits.
std::optional<int64_t> ParseInt(absl::string_view text) {
  int64_t value;
  if (text.empty() || !absl::SimpleAtoi(text, &value)) return std::nullopt;
  if (absl::ascii_isspace(text.front()) || absl::ascii_isspace(text.back())) {
    return std::nullopt;
  }
  return value;
}

// The i-th ':'-separated field of `fields`, or "" past the end.
absl::string_view Field(const std::vector<absl::string_view>& fields,
                        size_t i) {
  return i < fields.size() ? fields[i] : absl::string_view();
}

// Non-empty lines, trimmed. runc reads malformed numeric fields as 0 and so
// does this, to resolve exactly as Docker does.
std::vector<std::vector<absl::string_view>> Records(absl::string_view text) {
  std::vector<std::vector<absl::string_view>> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    out.push_back(absl::StrSplit(line, ':'));
  }
  return out;
}

std::vector<PasswdEntry> ParsePasswd(absl::string_view text) {
  std::vector<PasswdEntry> out;
  for (const auto& fields : Records(text)) {
    PasswdEntry entry;
    entry.name = std::string(Field(fields, 0));
    entry.uid = ParseInt(Field(fields, 2)).value_or(0);
    entry.gid = ParseInt(Field(fields, 3)).value_or(0);
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(absl::string_view text) {
  std::vector<GroupEntry> out;
  for (const auto& fields : Records(text)) {
    GroupEntry entry;
    entry.name = std::string(Field(fields, 0));
    entry.gid = ParseInt(Field(fields, 2)).value_or(0);
    entry.members = absl::StrSplit(Field(fields, 3), ',');
    out.push_back(std::move(entry));
  }
  return out;
}

absl::Status CheckRange(int64_t id) {
  if (id < 0 || id > kMaxId) {
    return absl::InvalidArgumentError(
        absl::StrCat("uids and gids must be in range 0-", kMaxId));
  }
  return absl::OkStatus();
}

// BuildKit answers "uid:gid" (both numeric, "root" counting as 0) and ""
// without reading any file, and then adds no supplementary groups.
std::optional<ResolvedUser> FastPath(absl::string_view spec) {
  if (spec.empty()) return ResolvedUser{};
  std::vector<absl::string_view> parts =
      absl::StrSplit(spec, absl::MaxSplits(':', 1));
  if (parts.size() != 2) return std::nullopt;
  auto parse = [](absl::string_view text) -> std::optional<uint32_t> {
    if (text == "root") return 0;
    uint32_t id;
    if (text.empty() || text.front() == '+' || text.front() == '-' ||
        !absl::SimpleAtoi(text, &id)) {
      return std::nullopt;
    }
    return id;
  };
  std::optional<uint32_t> uid = parse(parts[0]);
  std::optional<uint32_t> gid = parse(parts[1]);
  if (!uid || !gid) return std::nullopt;
  return ResolvedUser{*uid, *gid, {}};
}

}  // namespace

absl::StatusOr<ResolvedUser> ResolveUserFromFiles(
    absl::string_view spec, const std::optional<std::string>& passwd,
    const std::optional<std::string>& group) {
  if (std::optional<ResolvedUser> fast = FastPath(spec)) return *fast;

  std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  absl::string_view user_arg = parts[0];
  absl::string_view group_arg = parts.size() > 1 ? parts[1] : "";
  std::optional<int64_t> uid_arg = ParseInt(user_arg);
  std::optional<int64_t> gid_arg = ParseInt(group_arg);

  int64_t uid = 0;
  int64_t gid = 0;
  std::string matched_name;
  const PasswdEntry* match = nullptr;
  std::vector<PasswdEntry> users = ParsePasswd(passwd.value_or(""));
  // An empty user (as in ":staff") stands for uid 0.
  const bool by_uid = uid_arg.has_value() || user_arg.empty();
  const int64_t wanted_uid = uid_arg.value_or(0);
  for (const PasswdEntry& entry : users) {
    if (by_uid ? entry.uid == wanted_uid : entry.name == user_arg) {
      match = &entry;
      break;
    }
  }
  if (match != nullptr) {
    matched_name = match->name;
    uid = match->uid;
    gid = match->gid;
  } else if (!by_uid) {
    return absl::NotFoundError(
        absl::StrCat("unable to find user ", user_arg,
                     ": no matching entries in passwd file"));
  } else {
    uid = wanted_uid;
    RETURN_IF_ERROR(CheckRange(uid));
  }

  std::vector<uint32_t> additional;
  if (!group_arg.empty() || !matched_name.empty()) {
    std::vector<GroupEntry> groups = ParseGroup(group.value_or(""));
    if (group_arg.empty()) {
      for (const GroupEntry& entry : groups) {
        for (const std::string& member : entry.members) {
          if (member == matched_name) {
            additional.push_back(static_cast<uint32_t>(entry.gid));
            break;
          }
        }
      }
    } else {
      const GroupEntry* found = nullptr;
      for (const GroupEntry& entry : groups) {
        if (gid_arg ? entry.gid == *gid_arg : entry.name == group_arg) {
          found = &entry;
          break;
        }
      }
      if (found != nullptr) {
        gid = found->gid;
      } else if (!gid_arg) {
        return absl::NotFoundError(
            absl::StrCat("unable to find group ", group_arg,
                         ": no matching entries in group file"));
      } else {
        gid = *gid_arg;
        RETURN_IF_ERROR(CheckRange(gid));
      }
    }
  }
  return ResolvedUser{static_cast<uint32_t>(uid), static_cast<uint32_t>(gid),
                      std::move(additional)};
}

absl::StatusOr<ResolvedUser> ResolveUser(const std::string& rootfs,
                                         absl::string_view spec) {
  if (std::optional<ResolvedUser> fast = FastPath(spec)) return *fast;
  // A missing file resolves like an empty one, as in runc; anything else
  // (a directory, a FIFO, an unreadable file) is an error.
  auto read = [&](absl::string_view path)
      -> absl::StatusOr<std::optional<std::string>> {
    absl::StatusOr<std::string> content = ReadFileInRoot(rootfs, path);
    if (absl::IsNotFound(content.status())) return std::optional<std::string>();
    if (!content.ok()) return content.status();
    return std::optional<std::string>(*std::move(content));
  };
  ASSIGN_OR_RETURN(std::optional<std::string> passwd, read("/etc/passwd"));
  ASSIGN_OR_RETURN(std::optional<std::string> group, read("/etc/group"));
  return ResolveUserFromFiles(spec, passwd, group);
}

}  // namespace farm::executor
