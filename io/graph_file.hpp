// Reading and writing graph files (DESIGN §2): an anndata-encoded CSR group
// /graph (indptr int64[n+1], indices int32[nnz], data float32[nnz]), optional
// /agents/kind uint8[n] and /agents/id int64[n], and provenance attributes on
// the root. Writing streams row blocks to chunked datasets, so a generator
// never holds the whole graph; reading checks every invariant and names the
// dataset that breaks one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/atomic_output.hpp"
#include "io/content_hash.hpp"
#include "io/graph.hpp"
#include "io/h5.hpp"

namespace trustprop::io {

inline constexpr int graph_format_version = 1;

struct GraphWriteOptions {
  std::int64_t expected_nnz = 0;    // sizes the chunks; 0 when unknown
  std::int64_t chunk_bytes = 2 << 20;
  int deflate = 0;                  // 0 = uncompressed (default), 1..9 gzip level
  std::map<std::string, std::string> attributes;  // extra root attributes (importer or generator parameters)
};

// Streams a graph to `path` row block by row block. Nothing appears at
// `path` until commit(); an abandoned writer leaves no file behind.
class GraphWriter {
 public:
  GraphWriter(const std::string& path, std::int64_t n, const std::string& source,
              const GraphWriteOptions& options = {});
  ~GraphWriter();

  // Appends the next `rows` rows: their lengths, then their concatenated
  // columns and weights. Rows must come in order and each be sorted, unique
  // and in range; this is checked.
  void append_rows(const std::int64_t* row_lengths, std::int64_t rows, const std::int32_t* columns,
                   const float* weights);
  void set_kinds(const std::vector<std::uint8_t>& kinds);
  void set_ids(const std::vector<std::int64_t>& ids);
  // /agents/previous_index int32[n]: each agent's index in the graph this one
  // was reordered from (docs/reorder.md).
  void set_previous_index(const std::vector<std::int32_t>& previous);
  // Extra provenance on the root (generator parameters, importer options).
  void set_attribute(const std::string& name, const std::string& value);
  // Writes the attributes, flushes, and renames the file into place.
  void commit();

  std::int64_t rows_written() const { return rows_written_; }
  std::int64_t nnz_written() const { return nnz_written_; }

 private:
  AtomicOutput out_;
  h5::File file_;
  h5::AppendableDataset indptr_, indices_, data_;
  ContentHasher hasher_;
  std::int64_t n_, rows_written_ = 0, nnz_written_ = 0;
  std::string source_;
  std::map<std::string, std::string> attributes_;
};

// Writes a whole in-memory graph.
void write_graph(const std::string& path, const Graph& graph, const GraphWriteOptions& options = {});

// What `info` shows without reading the edges.
struct GraphHeader {
  std::int64_t n = 0, nnz = 0;
  bool has_kinds = false, has_ids = false;
  std::string source, content_hash;
  std::int64_t format_version = 0;
  std::map<std::string, std::string> attributes;  // every string attribute of the root
};

GraphHeader read_graph_header(const std::string& path);

// Reads and validates the whole graph. Throws NoInputError for a missing or
// unreadable path, DataError naming the dataset for any broken invariant.
Graph read_graph(const std::string& path);

// Checks the CSR invariants of an in-memory graph (indptr starts at 0, is
// non-decreasing and ends at nnz; columns in range, sorted and unique per
// row; weights finite; kinds in 0..2). `where` prefixes messages.
void validate_graph(const Graph& graph, const std::string& where);

// One process's share of a graph file in a distributed run (DESIGN §7):
// rows [first, last) of W, read by hyperslab, indptr from 0. Checked like
// read_graph checks them; messages give the rows' numbers in the file.
struct GraphRows {
  std::int64_t n = 0, first = 0, last = 0;
  std::vector<std::int64_t> indptr;  // last - first + 1 offsets into indices and data
  std::vector<std::int32_t> indices;
  std::vector<float> data;

  std::int64_t rows() const { return last - first; }
  std::int64_t nnz() const { return static_cast<std::int64_t>(indices.size()); }
};

// The parts of a distributed read. read_graph_agents: everything but the
// edges (n, /agents/kind and /agents/id checked, provenance), with empty
// indptr, indices and data. read_graph_indptr: the whole /graph/indptr,
// checked (starts at 0, non-decreasing, ends at nnz).
Graph read_graph_agents(const std::string& path, const GraphHeader& header);
std::vector<std::int64_t> read_graph_indptr(const std::string& path, const GraphHeader& header);
GraphRows read_graph_rows(const std::string& path, std::int64_t n, const std::vector<std::int64_t>& indptr,
                          std::int64_t first, std::int64_t last);

// Recomputes the content hash of the arrays.
std::string compute_content_hash(const Graph& graph);

}  // namespace trustprop::io
