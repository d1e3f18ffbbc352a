// trustprop: trust propagation on city-scale social graphs. Entry point: the
// subcommands of DESIGN §6, errors mapped to sysexits codes (DESIGN §5).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/version.hpp"
#include "host/cli_checks.hpp"
#include "host/command_line.hpp"
#include "host/commands.hpp"
#include "host/logging.hpp"
#include "host/signals.hpp"
#include "host/world.hpp"

namespace {

// After an error: a collective one (host/world.hpp) is reported by the
// process where it happened and every process exits with its code; any
// other ends the whole run, so that no process waits for this one forever.
int fail(const trustprop::Error& e) {
  using namespace trustprop;
  const auto* collective = dynamic_cast<const host::CollectiveError*>(&e);
  if (collective == nullptr || collective->report_here()) spdlog::error("{}", e.what());
  if (collective == nullptr && host::world().size() > 1) host::world().abort(static_cast<int>(e.code()));
  return static_cast<int>(e.code());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace trustprop;
  std::optional<host::WorldSession> processes;  // MPI, when an MPI launcher started this process
  try {
    processes.emplace(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "trustprop: error: %s\n", e.what());
    return static_cast<int>(e.code());
  }
  host::remember_command_line(argc, argv);
  host::remove_outputs_on_termination();
  CLI::App app{"trustprop: GPU-accelerated trust propagation on city-scale social graphs"};
  app.set_version_flag("--version", std::string(version_string) + " (" + git_revision + ")");
  app.require_subcommand(1);
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    return "trustprop: error: " + CLI::FailureMessage::simple(failed, e);
  });
  host::GlobalOptions global;
  app.add_option("--device", global.device, "Backend: auto, cpu, cuda or cuda:N")
      ->check(host::device_check())
      ->capture_default_str();
  app.add_option("--threads", global.threads, "CPU threads (0: all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  app.add_option("--progress", global.progress, "auto, bar, plain or none")
      ->check(CLI::IsMember({"auto", "bar", "plain", "none"}))
      ->capture_default_str();
  // Global options are accepted before or after the subcommand.
  app.fallthrough();
  app.parse_complete_callback([&] {
    host::setup_logging(global.log_level);
    // Under an MPI launch only rank and simulate share their work among
    // the processes; any other command would run whole in each of them, on
    // the same files.
    const host::Communicator& processes = host::world();
    const std::string command = app.get_subcommands().front()->get_name();
    host::collectively(processes, [&] {
      if (processes.size() > 1 && command != "rank" && command != "simulate")
        throw UsageError("trustprop " + command + " runs as one process; under MPI (" +
                         std::to_string(processes.size()) +
                         " processes) only rank and simulate run (docs/distributed.md)");
    });
  });

  host::add_import(app, global);
  host::add_generate(app, global);
  host::add_info(app, global);
  host::add_rank(app, global);
  host::add_demo(app, global);
  host::add_simulate(app, global);
  host::add_checkpoint(app, global);
  host::add_report(app, global);
  host::add_reorder(app, global);
  host::add_bench(app, global);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every other parse error is a usage error.
    // Every process of an MPI launch parses the same line: process 0 tells.
    if (host::world().rank() != 0) return e.get_exit_code() == 0 ? 0 : static_cast<int>(ExitCode::usage);
    const int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(ExitCode::usage);
  } catch (const Error& e) {
    return fail(e);
  } catch (const std::bad_alloc&) {
    return fail(InternalError("out of host memory"));
  } catch (const std::exception& e) {
    return fail(InternalError(std::string("internal error: ") + e.what()));
  }
  return 0;
}
