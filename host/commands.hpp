// The trustprop command line (DESIGN §6). Each subcommand lives in its own
// host/cmd_<name>.cpp and registers itself on the CLI11 app with add_<name>;
// its callback does the work and throws trustprop::Error on failure, which
// main() turns into a message and a sysexits code.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "kernels/executor.hpp"

namespace trustprop::host {

// Options every computing command shares (DESIGN §6 "global").
struct GlobalOptions {
  std::string device = "auto";     // auto | cpu | cuda[:N]
  int threads = 0;                 // OpenMP threads; 0 = all cores
  std::string log_level = "info";  // trace debug info warn error off
  std::string progress = "auto";   // auto | bar | plain | none

  // The executor for --device/--threads; logs which device was taken.
  std::shared_ptr<const kernels::Executor> executor() const;
};

void add_import(CLI::App& app, GlobalOptions& global);
void add_generate(CLI::App& app, GlobalOptions& global);
void add_info(CLI::App& app, GlobalOptions& global);
void add_rank(CLI::App& app, GlobalOptions& global);
void add_demo(CLI::App& app, GlobalOptions& global);
void add_simulate(CLI::App& app, GlobalOptions& global);
void add_checkpoint(CLI::App& app, GlobalOptions& global);
void add_report(CLI::App& app, GlobalOptions& global);
void add_reorder(CLI::App& app, GlobalOptions& global);
void add_bench(CLI::App& app, GlobalOptions& global);

}  // namespace trustprop::host
