// Choosing the progress printer from --progress and -q, as docker build
// does: "auto" means the live view on a terminal, plain text otherwise.
#ifndef FARM_CLIENT_PROGRESS_PRINTER_FACTORY_H_
#define FARM_CLIENT_PROGRESS_PRINTER_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/progress/printer_options.h"
#include "client/progress/progress_printer.h"

namespace farm::client::progress {

enum class ProgressMode { kAuto, kPlain, kTty, kJson, kQuiet };

// "auto", "plain", "tty" or "json"; kInvalidArgument naming the value
// otherwise.
absl::StatusOr<ProgressMode> ParseProgressMode(absl::string_view text);

// kAuto becomes kTty when stderr is a terminal and TERM is not "dumb",
// else kPlain; other modes stay as they are.
ProgressMode ResolveProgressMode(ProgressMode mode, bool stderr_is_terminal,
                                 absl::string_view term);

// A printer for `mode` (resolved against the real stderr and $TERM when
// kAuto) writing progress to std::cerr; kQuiet writes the image id to
// std::cout.
std::unique_ptr<ProgressPrinter> MakeProgressPrinter(
    ProgressMode mode, const PrinterOptions& options);

}  // namespace farm::client::progress

#endif  // FARM_CLIENT_PROGRESS_PRINTER_FACTORY_H_
