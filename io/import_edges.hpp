// Importing trust networks from text (DESIGN §2, §9; docs/import.md): SNAP
// edge lists, CSV (with or without a header, extra columns ignored) and
// Matrix Market coordinate files, plain or gzip-compressed, into the
// in-memory Graph that io/graph_file.hpp writes. Arbitrary integer ids map to
// agents 0..n-1 in ascending order of id, the originals kept in Graph::id;
// duplicate edges are merged by a rule; self-loops are dropped unless asked.
// Every malformed line is a DataError naming the file and the line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "io/graph.hpp"

namespace trustprop::io {

enum class ImportFormat { auto_detect, snap, csv, mtx };
// How repeated (source, target) pairs merge; `last` is the default: the
// latest rating supersedes, as in time-ordered rating logs.
enum class DuplicateRule { last, first, sum, max, mean, error };

std::string_view to_string(ImportFormat f);
std::string_view to_string(DuplicateRule r);
std::optional<ImportFormat> parse_import_format(std::string_view s);  // auto|snap|csv|mtx
std::optional<DuplicateRule> parse_duplicate_rule(std::string_view s);

// The format a path's name implies (a trailing .gz is looked through):
// .mtx -> mtx, .csv -> csv, anything else -> snap.
ImportFormat detect_format(const std::string& path);

struct ImportOptions {
  ImportFormat format = ImportFormat::auto_detect;
  bool signed_weights = false;   // accept negative weights (distrust)
  bool scale_weights = false;    // divide every weight by max |w|
  bool keep_self_loops = false;  // keep i -> i edges (fairness-goodness wants them)
  DuplicateRule duplicates = DuplicateRule::last;
  // Bytes the import may take (host memory available); 0: not checked. A
  // Matrix Market size line whose agents and entries need more is refused
  // before anything is allocated.
  std::size_t memory_available = 0;
};

struct ImportStats {
  ImportFormat format = ImportFormat::snap;  // the format used
  bool compressed = false;                   // the input was gzip-compressed
  std::uint64_t bytes = 0;                   // bytes of text read (after decompression)
  std::int64_t lines = 0;                    // physical lines read
  std::int64_t entries = 0;                  // edge lines (Matrix Market: entries) parsed
  std::int64_t edges_read = 0;               // directed edges before dropping and merging
  std::int64_t self_loops_dropped = 0;
  std::int64_t duplicates_merged = 0;        // entries folded into another by the duplicate rule
  bool weighted = false;                     // the input had a weight column
  std::string header;                        // the CSV header line that was skipped, if any
  std::string mtx_header;                    // the Matrix Market banner
  double weight_scale = 1.0;                 // weights were divided by this
  std::int64_t scaled_to_zero = 0;           // nonzero weights that this division took below float32's smallest
  float weight_min = 0, weight_max = 0;      // range of the stored weights
  double parse_seconds = 0, build_seconds = 0;
};

// Reads `path` into a validated graph. Throws NoInputError (missing or
// unreadable input), DataError ("path:line: what" for malformed input).
Graph import_graph(const std::string& path, const ImportOptions& options, ImportStats* stats = nullptr);

}  // namespace trustprop::io
