// The configuration file of `trustprop simulate` (TOML; configs/city.toml
// documents every key with its unit and default, docs/dynamics.md the
// model). Every key is known, typed and ranged: an unknown section or key, a
// value of the wrong type or out of range is a ConfigError (exit 78) naming
// the key and file:line. Missing keys take their documented defaults.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "host/dynamics.hpp"
#include "io/generate_city.hpp"

namespace trustprop::host {

// The generated city's parameters when the configuration gives none.
inline io::CityParams default_city() {
  io::CityParams p;
  p.agents = 20000;
  return p;
}

// Where the graph comes from: a graph file, or a city generated in memory.
struct GraphSpec {
  std::string path;                        // graph file; relative paths are relative to the configuration file
  std::string generate;                    // "city" (the default when no path is given) or empty
  io::CityParams city = default_city();    // generate = "city": agents, seed, mean_degree, shares
};

struct SimulationConfig {
  // [run]
  std::string name = "city";  // the run directory is runs/<name> unless --run-dir says otherwise
  std::int64_t epochs = 50;
  std::uint64_t seed = 1;     // seed of every random draw of the simulation
  // [graph]
  GraphSpec graph;
  // [interaction] [evidence] [platform] [propagation] [recognition] [adaptation]
  DynamicsParameters model;
  // [output]
  std::int64_t trust_every = 10;  // full trust vector every N epochs (and after the last); 0: only the last
  // [checkpoint] (docs/checkpoint.md)
  std::int64_t checkpoint_every = 10;  // a checkpoint every N epochs (and after the last); 0: only on stops
  std::int64_t checkpoint_keep = 3;    // the newest K checkpoints are kept

  std::string source;         // the file the configuration was read from ("" for text)
};

// Reads and checks a configuration file. Throws NoInputError when it cannot
// be read, ConfigError (naming file:line and key) when it is not valid.
SimulationConfig load_simulation_config(const std::string& path);

// The same for configuration text; `source` names it in messages and
// anchors relative graph paths (its directory).
SimulationConfig parse_simulation_config(std::string_view text, const std::string& source);

// The configuration's name of a registration rule ("graph", "random", "none").
std::string registration_name(Registration r);

// The resolved configuration: every key with its value (defaults included,
// the graph path absolute), as TOML that parses back to the same values.
std::string resolved_toml(const SimulationConfig& config);

}  // namespace trustprop::host
