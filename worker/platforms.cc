#include "worker/platforms.h"

#include <dirent.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/fs.h"
#include "image/registry/platform.h"

namespace farm::worker {
namespace {

// What uname(2) or an ELF header says, as an OCI platform string.
std::string Normalized(absl::string_view text) {
  absl::StatusOr<image::oci::Platform> parsed =
      image::registry::ParsePlatform(text);
  if (!parsed.ok()) return std::string(text);
  return image::registry::PlatformString(*parsed);
}

// ELF e_machine values (the ELF gABI's list) with the word size and byte
// order that tell the OCI architectures apart.
struct ElfMachine {
  uint16_t machine;
  int elf_class;  // 1: 32-bit, 2: 64-bit
  int data;       // 1: little-endian, 2: big-endian
  const char* platform;
};
constexpr ElfMachine kMachines[] = {
    {3, 1, 1, "linux/386"},       {62, 2, 1, "linux/amd64"},
    {40, 1, 1, "linux/arm/v7"},   {183, 2, 1, "linux/arm64"},
    {22, 2, 2, "linux/s390x"},    {21, 2, 1, "linux/ppc64le"},
    {21, 2, 2, "linux/ppc64"},    {243, 2, 1, "linux/riscv64"},
    {8, 1, 2, "linux/mips"},      {8, 1, 1, "linux/mipsle"},
    {8, 2, 2, "linux/mips64"},    {8, 2, 1, "linux/mips64le"},
    {258, 2, 1, "linux/loong64"},
};

}  // namespace

std::string NativePlatform() {
  struct utsname name;
  if (uname(&name) != 0) return "linux/amd64";
  std::string machine = absl::AsciiStrToLower(name.machine);
  // Kernel names that ParsePlatform does not know as architectures.
  if (machine == "armv7l" || machine == "armv8l") return "linux/arm/v7";
  if (machine == "armv6l") return "linux/arm/v6";
  if (machine == "i686" || machine == "i586") return "linux/386";
  if (machine == "ppc64le") return "linux/ppc64le";
  return Normalized(absl::StrCat("linux/", machine));
}

std::optional<std::string> PlatformOfBinfmtEntry(absl::string_view entry) {
  bool enabled = false;
  bool fix_binary = false;
  std::string magic;
  for (absl::string_view line : absl::StrSplit(entry, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line == "enabled") enabled = true;
    if (absl::ConsumePrefix(&line, "flags:")) {
      fix_binary = line.find('F') != absl::string_view::npos;
    }
    if (absl::ConsumePrefix(&line, "magic ")) {
      magic = absl::HexStringToBytes(absl::StripAsciiWhitespace(line));
    }
  }
  // e_ident (16 bytes), e_type (2), then e_machine (2) in the file's order.
  if (!enabled || !fix_binary || magic.size() < 20 ||
      magic.substr(0, 4) !=
          "\x7f"
          "ELF") {
    return std::nullopt;
  }
  const int elf_class = static_cast<uint8_t>(magic[4]);
  const int data = static_cast<uint8_t>(magic[5]);
  const uint8_t lo = static_cast<uint8_t>(data == 2 ? magic[19] : magic[18]);
  const uint8_t hi = static_cast<uint8_t>(data == 2 ? magic[18] : magic[19]);
  const uint16_t machine = static_cast<uint16_t>(lo | (hi << 8));
  for (const ElfMachine& m : kMachines) {
    if (m.machine == machine && m.elf_class == elf_class && m.data == data) {
      return std::string(m.platform);
    }
  }
  return std::nullopt;
}

WorkerPlatforms DetectPlatforms(const std::string& binfmt_dir) {
  WorkerPlatforms out;
  out.native.push_back(NativePlatform());
  DIR* dir = opendir(binfmt_dir.c_str());
  if (dir == nullptr) return out;
  while (struct dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || name == "register" || name == "status") {
      continue;
    }
    absl::StatusOr<std::string> text = ReadFile(JoinPath(binfmt_dir, name));
    if (!text.ok()) continue;
    std::optional<std::string> platform = PlatformOfBinfmtEntry(*text);
    if (!platform.has_value() || *platform == out.native.front()) continue;
    out.emulated.push_back(*platform);
  }
  closedir(dir);
  std::sort(out.emulated.begin(), out.emulated.end());
  out.emulated.erase(std::unique(out.emulated.begin(), out.emulated.end()),
                     out.emulated.end());
  return out;
}

absl::StatusOr<WorkerPlatforms> RestrictPlatforms(const WorkerPlatforms& all,
                                                  absl::string_view only) {
  WorkerPlatforms out;
  for (absl::string_view item :
       absl::StrSplit(only, ',', absl::SkipWhitespace())) {
    absl::StatusOr<image::oci::Platform> parsed =
        image::registry::ParsePlatform(absl::StripAsciiWhitespace(item));
    if (!parsed.ok()) return parsed.status();
    std::string platform = image::registry::PlatformString(*parsed);
    auto has = [&](const std::vector<std::string>& list) {
      return std::find(list.begin(), list.end(), platform) != list.end();
    };
    if (has(all.native)) {
      if (!has(out.native)) out.native.push_back(platform);
    } else if (has(all.emulated)) {
      if (!has(out.emulated)) out.emulated.push_back(platform);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("this worker cannot run ", platform, ": it runs ",
                       DescribePlatforms(all.native, all.emulated)));
    }
  }
  if (out.native.empty() && out.emulated.empty()) {
    return absl::InvalidArgumentError("no platform given");
  }
  std::sort(out.emulated.begin(), out.emulated.end());
  return out;
}

std::string DescribePlatforms(const std::vector<std::string>& native,
                              const std::vector<std::string>& emulated) {
  std::vector<std::string> parts;
  for (const std::string& p : native) parts.push_back(p + " (native)");
  for (const std::string& p : emulated) parts.push_back(p + " (emulated)");
  if (parts.empty()) return "nothing";
  return absl::StrJoin(parts, ", ");
}

}  // namespace farm::worker
