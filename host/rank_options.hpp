// Command-line pieces that several rank models share: a list of agents
// given by original id (`--sources 3,17`) or in a file (ids separated by
// spaces, commas or line ends, '#' comments), and options such as `--steps`
// or `--seeds` that more than one model reads — registered once, by the
// first model that asks, with help text naming every model that uses them.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "io/graph.hpp"

namespace trustprop::host {

// The option `name` on `rank`, taking one value of `type_name` ("INT"):
// added by the first model that asks, later models append their own help.
// Read it with option->count() and option->as<T>().
CLI::Option* shared_rank_option(CLI::App& rank, const std::string& name, const std::string& type_name,
                                const std::string& help);

// The same for a flag (`--full`): read it with option->count() > 0.
CLI::Option* shared_rank_flag(CLI::App& rank, const std::string& name, const std::string& help);

// The ids of a comma-separated list ("3,17,42"). Throws UsageError naming
// `option` and the token that is not an integer.
std::vector<std::int64_t> parse_id_list(const std::string& text, const std::string& option);

// Agents (0..n-1) for original ids, in the order given. Throws UsageError
// naming `option` and the first id that is not in the graph.
std::vector<std::int64_t> agents_from_ids(const io::Graph& graph, const std::vector<std::int64_t>& ids,
                                          const std::string& option);

// The ids listed in `path`, in file order, and the line of each. Throws
// NoInputError for an unreadable file, DataError naming path:line for a
// malformed id, UsageError when the file lists none.
struct IdFile {
  std::vector<std::int64_t> ids, lines;
};
IdFile ids_from_file(const std::string& path, const std::string& option);

// Agents for the ids listed in `path`, in file order: ids_from_file's
// errors, and DataError naming path:line for an id not in the graph.
std::vector<std::int64_t> agents_from_file(const io::Graph& graph, const std::string& path,
                                           const std::string& option);

}  // namespace trustprop::host
