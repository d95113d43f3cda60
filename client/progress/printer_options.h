// What the progress printers need to know beyond the events themselves.
#ifndef FARM_CLIENT_PROGRESS_PRINTER_OPTIONS_H_
#define FARM_CLIENT_PROGRESS_PRINTER_OPTIONS_H_

#include "common/clock.h"

namespace farm::client::progress {

struct PrinterOptions {
  // Name the worker that ran each step. Off for embedded builds, whose one
  // worker is the farm process itself.
  bool show_workers = false;
  // Times the steps when events carry no timestamps, and drives the tty
  // view's live timers. Not owned.
  const Clock* clock = RealClock::Get();
};

}  // namespace farm::client::progress

#endif  // FARM_CLIENT_PROGRESS_PRINTER_OPTIONS_H_
