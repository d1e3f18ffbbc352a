// The in-memory form of a graph file (DESIGN §2): a CSR trust matrix in host
// memory, row i listing the agents that i trusts, plus optional agent data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace trustprop::io {

// Agent kinds as stored in /agents/kind.
enum class AgentKind : std::uint8_t { resident = 0, enterprise = 1, institution = 2 };

struct Graph {
  std::int64_t n = 0;                 // agents; the matrix is n x n
  std::vector<std::int64_t> indptr;   // n + 1 row offsets
  std::vector<std::int32_t> indices;  // nnz columns, sorted and unique per row
  std::vector<float> data;            // nnz tie weights, may be signed
  std::vector<std::uint8_t> kind;     // n agent kinds, or empty
  std::vector<std::int64_t> id;       // n original ids, or empty
  std::string source;                 // provenance: where the graph came from
  std::string content_hash;           // "xxh3:<16 hex>" of the CSR arrays, or empty

  std::int64_t nnz() const { return indptr.empty() ? 0 : indptr.back(); }
};

// Host bytes of a Graph of n agents and nnz ties with kinds and ids: what a
// CPU run holds before its own estimate (kernels::require_memory) counts.
inline std::size_t graph_bytes(std::int64_t n, std::int64_t nnz) {
  return static_cast<std::size_t>(8 * (n + 1) + 8 * nnz + 9 * n);
}

}  // namespace trustprop::io
