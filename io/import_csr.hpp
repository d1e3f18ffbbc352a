// Internal to the importers: turning edges in input order into the CSR of a
// Graph. Ids map to agents (compactly, in ascending order of id, or 1..n for
// Matrix Market), self-loops are dropped unless kept, rows are filled by a
// stable counting sort, and each row is sorted by column with repeated
// columns merged by the duplicate rule; optionally weights are scaled into
// [-1, 1].
#pragma once

#include <cstdint>

#include "io/graph.hpp"
#include "io/import_edges.hpp"
#include "io/import_parse.hpp"

namespace trustprop::io::detail {

struct CsrBuildOptions {
  bool keep_self_loops = false;
  DuplicateRule duplicates = DuplicateRule::last;
  bool scale_weights = false;
  std::int64_t fixed_n = -1;  // >= 0: ids are 1..fixed_n (Matrix Market), else compact
};

struct CsrBuildResult {
  Graph graph;
  std::int64_t self_loops_dropped = 0, duplicates_merged = 0;
  double weight_scale = 1.0;
  std::int64_t scaled_to_zero = 0;  // nonzero weights below float32's smallest once divided by weight_scale
  float weight_min = 0, weight_max = 0;
  // With DuplicateRule::error: the first repeated pair (original ids); the
  // graph is then incomplete and the caller reports the lines.
  bool duplicate_found = false;
  std::int64_t duplicate_source = 0, duplicate_target = 0;
};

// Consumes `edges` (its memory is released as the CSR is built). Throws
// DataError when the agents do not fit 32-bit indices; `where` names the input.
CsrBuildResult build_csr(RawEdges&& edges, const CsrBuildOptions& options, const std::string& where);

// The build options an import's options ask for (fixed_n left at -1).
CsrBuildOptions csr_build_options(const ImportOptions& o);

// Records in `st` what reading `in` gave (lines, bytes, compression, the
// edges read, the seconds since `parse_start_ns`), for every format.
void note_parsed(ImportStats& st, const TextInput& in, const RawEdges& edges, std::int64_t parse_start_ns);

// Records in `st` what the build did (self-loops, merges, weight scale and
// range, the seconds since `build_start_ns`).
void note_built(ImportStats& st, const CsrBuildResult& res, std::int64_t build_start_ns);

}  // namespace trustprop::io::detail
