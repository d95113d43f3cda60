#include "client/progress/printer_factory.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/progress/json_printer.h"
#include "client/progress/plain_printer.h"
#include "client/progress/quiet_printer.h"
#include "client/progress/tty_printer.h"

namespace farm::client::progress {

absl::StatusOr<ProgressMode> ParseProgressMode(absl::string_view text) {
  if (text == "auto") return ProgressMode::kAuto;
  if (text == "plain") return ProgressMode::kPlain;
  if (text == "tty") return ProgressMode::kTty;
  if (text == "json") return ProgressMode::kJson;
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid --progress \"", text, "\": want auto, plain, tty or json"));
}

ProgressMode ResolveProgressMode(ProgressMode mode, bool stderr_is_terminal,
                                 absl::string_view term) {
  if (mode != ProgressMode::kAuto) return mode;
  return stderr_is_terminal && term != "dumb" ? ProgressMode::kTty
                                              : ProgressMode::kPlain;
}

std::unique_ptr<ProgressPrinter> MakeProgressPrinter(
    ProgressMode mode, const PrinterOptions& options) {
  const char* term = getenv("TERM");
  switch (ResolveProgressMode(mode, isatty(STDERR_FILENO) == 1,
                              term != nullptr ? term : "")) {
    case ProgressMode::kTty: {
      TtyOptions tty;
      tty.printer = options;
      return std::make_unique<TtyPrinter>(std::cerr, std::move(tty));
    }
    case ProgressMode::kJson:
      return std::make_unique<JsonPrinter>(std::cerr);
    case ProgressMode::kQuiet:
      return std::make_unique<QuietPrinter>(std::cout, std::cerr);
    default:
      return std::make_unique<PlainPrinter>(std::cerr, options);
  }
}

}  // namespace farm::client::progress
