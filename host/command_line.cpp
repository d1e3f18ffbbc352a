#include "host/command_line.hpp"

namespace trustprop::host {

namespace {
std::string& stored() {
  static std::string s;
  return s;
}
}  // namespace

void remember_command_line(int argc, char** argv) {
  std::string& s = stored();
  s.clear();
  for (int i = 0; i < argc; ++i) {
    if (i) s += ' ';
    s += argv[i];
  }
}

std::string command_line() { return stored(); }

}  // namespace trustprop::host
