// The synthetic city generator (`trustprop generate city`, docs/generators.md).
//
// A city of n agents, laid out by neighbourhood (contiguous id blocks of
// about 4,000 agents: institutions, then enterprises, then residents in
// households of 1–6 with contiguous ids). Residents trust their household,
// neighbours, coworkers, friends (a power-law count, mostly local), a few
// enterprises as customers (Zipf popularity: big enterprises get huge
// in-degree) and a couple of institutions; enterprises trust suppliers,
// some staff and institutions; institutions trust each other and the
// enterprises registered with them.
//
// Every random draw is keyed by (seed, stream, agent or row, draw) with
// Philox (common/philox.hpp), so the graph is the same for any thread count.
// Rows are generated block by block in parallel and handed out in order, so
// a file is streamed with O(n + block) memory: the graph is never held.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "io/graph.hpp"
#include "io/graph_file.hpp"

namespace trustprop::io {

struct CityParams {
  std::int64_t agents = 0;              // n; at least city_min_agents
  std::uint64_t seed = 1;
  double mean_degree = 48.0;            // target mean out-degree over all agents
  double institution_share = 0.001;     // share of agents that are institutions (at least 1 if > 0)
  double enterprise_share = 0.04;       // share of agents that are enterprises (at least 1 if > 0)
  double signed_share = 0.0;            // share of ties made negative (distrust)
};

inline constexpr std::int64_t city_min_agents = 10;
inline constexpr double city_min_mean_degree = 8.0;
inline constexpr double city_max_mean_degree = 2000.0;

// How messages name the parameters: the command line's options
// (--institution-share) or a configuration's [graph] keys (institution_share).
enum class CityParamNames { options, keys };

// Throws UsageError (a value out of range) or ConfigError (values that do
// not fit together), naming the parameters as `names` says.
void validate_city_params(const CityParams& params, CityParamNames names = CityParamNames::options);

// The layout that follows from the parameters, before any edge is drawn.
struct CityLayout {
  std::int64_t agents = 0, residents = 0, enterprises = 0, institutions = 0;
  std::int64_t neighbourhoods = 0, households = 0;
};

struct GenerateStats {
  std::int64_t agents = 0, edges = 0;
  double seconds = 0;         // wall time, including the write and commit
  double seconds_commit = 0;  // of which: commit (attributes, flush, fsync, rename)
  CityLayout layout;
};

// Commits a generated graph file and records its agents, ties and times
// in `stats` (`started`: when the generation began).
void commit_generated(GraphWriter& writer, std::int64_t agents, std::chrono::steady_clock::time_point started,
                      GenerateStats& stats);

// Receives consecutive row blocks: `rows` row lengths, then their columns
// and weights concatenated (the arguments of GraphWriter::append_rows).
using RowSink = std::function<void(const std::int64_t* row_lengths, std::int64_t rows,
                                   const std::int32_t* columns, const float* weights)>;

// Generates the city and streams its rows to `sink` in order. Returns the
// agent kinds through `kinds` (n entries) and fills `layout`. `generator_json`
// receives the parameters and layout as a JSON object (for provenance).
void generate_city_rows(const CityParams& params, const RowSink& sink, std::vector<std::uint8_t>& kinds,
                        CityLayout& layout, std::string* generator_json = nullptr);

// Generates the city into a graph file (atomically; nothing is left behind
// on failure). Stores /agents/kind and the root attribute "generator".
GenerateStats generate_city(const std::string& path, const CityParams& params, const GraphWriteOptions& options = {});

// Generates the city in memory (tests and small experiments).
Graph generate_city_graph(const CityParams& params, CityLayout* layout = nullptr);

}  // namespace trustprop::io
