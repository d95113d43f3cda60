// Reading a line of the user's input, with the echo off for secrets.
#ifndef FARM_CLIENT_TERMINAL_INPUT_H_
#define FARM_CLIENT_TERMINAL_INPUT_H_

#include <string>

namespace farm::client {

// One line of standard input without its line ending; with `hide` and a
// terminal on standard input, what is typed is not shown.
std::string ReadInputLine(bool hide);

}  // namespace farm::client

#endif  // FARM_CLIENT_TERMINAL_INPUT_H_
