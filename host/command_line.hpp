// The command line as the user typed it, for provenance attributes.
#pragma once

#include <string>

namespace trustprop::host {

// Remembers argv (called once by main) and returns it joined by spaces.
void remember_command_line(int argc, char** argv);
std::string command_line();

}  // namespace trustprop::host
