#include "client/build/output_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace farm::client::build {

namespace {

absl::Status WriteAllTo(int fd, absl::string_view data,
                        const std::string& what) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("writing ", what));
    }
    data.remove_prefix(n);
  }
  return absl::OkStatus();
}

std::string DisplayName(const OutputSpec& spec) {
  return spec.dest == "-" ? std::string("standard output") : spec.dest;
}

}  // namespace

absl::StatusOr<OutputSpec> ParseOutputSpec(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--output \"", text, "\": ", why));
  };
  OutputSpec spec;
  for (absl::string_view field : absl::StrSplit(text, ',')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(field, absl::MaxSplits('=', 1));
    if (kv.first == "type") {
      spec.format = std::string(kv.second);
    } else if (kv.first == "dest") {
      spec.dest = std::string(kv.second);
    } else {
      return bad(absl::StrCat("unknown key \"", kv.first,
                              "\"; want type=docker|oci,dest=FILE"));
    }
  }
  if (spec.format.empty()) return bad("missing type=docker|oci");
  if (spec.format != "docker" && spec.format != "oci") {
    return bad(absl::StrCat("unsupported type \"", spec.format,
                            "\"; want docker or oci"));
  }
  if (spec.dest.empty()) return bad("missing dest=FILE");
  return spec;
}

absl::StatusOr<std::unique_ptr<OutputFiles>> OutputFiles::Create(
    const std::vector<OutputSpec>& specs, int stdout_fd) {
  std::unique_ptr<OutputFiles> files(new OutputFiles);
  files->stdout_fd_ = stdout_fd;
  std::set<std::string> dests;
  for (const OutputSpec& spec : specs) {
    if (!dests.insert(spec.dest).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("two --output flags write to ", DisplayName(spec)));
    }
    Output out;
    out.spec = spec;
    if (spec.dest != "-") {
      out.temp_path = absl::StrCat(spec.dest, ".farm-XXXXXX");
      int fd = mkostemp(out.temp_path.data(), O_CLOEXEC);
      if (fd < 0) {
        return ErrnoStatus(errno,
                           absl::StrCat("creating the output ", spec.dest));
      }
      out.fd = ScopedFd(fd);
      // Like any file the user creates: 0666 less the umask.
      mode_t mask = umask(0);
      umask(mask);
      fchmod(fd, 0666 & ~mask);
    }
    files->outputs_.push_back(std::move(out));
  }
  return files;
}

OutputFiles::~OutputFiles() {
  if (committed_) return;
  for (const Output& out : outputs_) {
    if (!out.temp_path.empty()) unlink(out.temp_path.c_str());
  }
}

std::vector<std::string> OutputFiles::formats() const {
  std::vector<std::string> formats;
  for (const Output& out : outputs_) {
    if (std::find(formats.begin(), formats.end(), out.spec.format) ==
        formats.end()) {
      formats.push_back(out.spec.format);
    }
  }
  return formats;
}

absl::Status OutputFiles::Write(const proto::OutputChunk& chunk) {
  bool wanted = false;
  for (Output& out : outputs_) {
    if (out.spec.format != chunk.format()) continue;
    wanted = true;
    if (out.complete) {
      return absl::InternalError(absl::StrCat("the farm sent more of the ",
                                              chunk.format(),
                                              " archive after its end"));
    }
    int fd = out.temp_path.empty() ? stdout_fd_ : out.fd.get();
    RETURN_IF_ERROR(WriteAllTo(fd, chunk.data(), DisplayName(out.spec)));
    out.bytes += chunk.data().size();
    out.complete = chunk.last();
  }
  if (!wanted) {
    return absl::InternalError(absl::StrCat("the farm sent a ", chunk.format(),
                                            " archive nobody asked for"));
  }
  return absl::OkStatus();
}

absl::Status OutputFiles::Restart() {
  for (Output& out : outputs_) {
    if (out.complete || out.bytes == 0) continue;
    if (out.temp_path.empty()) {
      return absl::DataLossError(
          absl::StrCat("the connection dropped while the ", out.spec.format,
                       " archive was being written to standard output"));
    }
    if (ftruncate(out.fd.get(), 0) != 0 ||
        lseek(out.fd.get(), 0, SEEK_SET) != 0) {
      return ErrnoStatus(errno, absl::StrCat("truncating ", out.temp_path));
    }
    out.bytes = 0;
  }
  return absl::OkStatus();
}

absl::Status OutputFiles::Commit() {
  for (const Output& out : outputs_) {
    if (!out.complete) {
      return absl::DataLossError(
          absl::StrCat("the farm did not send the whole ", out.spec.format,
                       " archive for ", DisplayName(out.spec)));
    }
  }
  for (Output& out : outputs_) {
    if (out.temp_path.empty()) continue;
    if (fsync(out.fd.get()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("writing ", out.spec.dest));
    }
    if (rename(out.temp_path.c_str(), out.spec.dest.c_str()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("renaming ", out.temp_path, " to ",
                                             out.spec.dest));
    }
    out.temp_path.clear();
  }
  committed_ = true;
  return absl::OkStatus();
}

}  // namespace farm::client::build
