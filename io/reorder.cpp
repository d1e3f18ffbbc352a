#include "io/reorder.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "common/error.hpp"

namespace trustprop::io {

namespace {

// Positions of a counting sort of 0..n-1 by `key` (0..max_key), ascending or
// descending, ties by index: O(n + max_key) and deterministic.
template <class Key>
std::vector<std::int32_t> counting_order(const std::vector<Key>& key, std::int64_t max_key, bool descending) {
  std::vector<std::int64_t> start(static_cast<std::size_t>(max_key) + 2, 0);
  for (const Key k : key) ++start[static_cast<std::size_t>(descending ? max_key - k : k) + 1];
  for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::vector<std::int32_t> order(key.size());
  for (std::size_t v = 0; v < key.size(); ++v)
    order[static_cast<std::size_t>(start[static_cast<std::size_t>(descending ? max_key - key[v] : key[v])]++)] =
        static_cast<std::int32_t>(v);
  return order;
}

std::vector<std::int32_t> degree_order(const Graph& g) {
  std::vector<std::int64_t> degree(static_cast<std::size_t>(g.n), 0);
  for (std::int64_t v = 0; v < g.n; ++v) degree[v] = g.indptr[v + 1] - g.indptr[v];
  for (const std::int32_t c : g.indices) ++degree[static_cast<std::size_t>(c)];
  const std::int64_t max_degree = g.n ? *std::max_element(degree.begin(), degree.end()) : 0;
  return counting_order(degree, max_degree, true);
}

// The symmetrised pattern (i ~ j when i -> j or j -> i) without building it:
// the out-lists are the CSR rows, the in-lists its transpose (pattern only).
// A symmetrised CSR would cost 2·nnz column indices; the transpose costs nnz.
// This is also why Boost.Graph's cuthill_mckee_ordering is not used: it needs
// the symmetrised graph as its own (compressed_sparse_row_graph built from an
// edge list of both directions, two to three times the CSR's indices while it
// is built), and it breaks degree ties with std::sort, in no stated order.
class SymmetricPattern {
 public:
  explicit SymmetricPattern(const Graph& g) : g_(g) {
    const auto n = static_cast<std::size_t>(g.n);
    in_ptr_.assign(n + 1, 0);
    for (const std::int32_t c : g.indices) ++in_ptr_[static_cast<std::size_t>(c) + 1];
    for (std::size_t v = 0; v < n; ++v) in_ptr_[v + 1] += in_ptr_[v];
    in_.resize(g.indices.size());
    std::vector<std::int64_t> next(in_ptr_.begin(), in_ptr_.end() - 1);
    // Rows in ascending order, so each in-list comes out sorted.
    for (std::int64_t i = 0; i < g.n; ++i)
      for (std::int64_t k = g.indptr[i]; k < g.indptr[i + 1]; ++k)
        in_[static_cast<std::size_t>(next[static_cast<std::size_t>(g.indices[k])]++)] = static_cast<std::int32_t>(i);
    // Degree in the symmetrised pattern: the size of the union of the two
    // sorted lists, without the agent itself.
    degree_.resize(n);
#pragma omp parallel for schedule(dynamic, 4096)
    for (std::int64_t v = 0; v < g.n; ++v) {
      std::int64_t a = g.indptr[v], ae = g.indptr[v + 1], b = in_ptr_[v], be = in_ptr_[v + 1];
      std::int32_t d = 0;
      while (a < ae || b < be) {
        std::int32_t u;
        if (b == be || (a < ae && g.indices[a] < in_[b])) {
          u = g.indices[a++];
        } else {
          u = in_[b++];
          if (a < ae && g.indices[a] == u) ++a;
        }
        d += u != v;
      }
      degree_[v] = d;
    }
  }

  std::int32_t degree(std::int32_t v) const { return degree_[static_cast<std::size_t>(v)]; }
  const std::vector<std::int32_t>& degrees() const { return degree_; }
  // (degree, index): the order in which Cuthill–McKee takes neighbours.
  bool before(std::int32_t a, std::int32_t b) const {
    return degree(a) != degree(b) ? degree(a) < degree(b) : a < b;
  }
  // Calls f(u) for every neighbour u of v; a mutual pair or a self-loop is
  // seen twice, which the callers' visited flags absorb.
  template <class F>
  void for_each_neighbour(std::int32_t v, F&& f) const {
    for (std::int64_t k = g_.indptr[v]; k < g_.indptr[v + 1]; ++k) f(g_.indices[k]);
    for (std::int64_t k = in_ptr_[v]; k < in_ptr_[v + 1]; ++k) f(in_[k]);
  }

 private:
  const Graph& g_;
  std::vector<std::int64_t> in_ptr_;
  std::vector<std::int32_t> in_;
  std::vector<std::int32_t> degree_;
};

// Reverse Cuthill–McKee (George & Liu, "Computer Solution of Large Sparse
// Positive Definite Systems", 1981): per connected component, start from a
// pseudo-peripheral node, number breadth-first taking each node's unnumbered
// neighbours by ascending degree, then reverse the whole numbering.
class Rcm {
 public:
  explicit Rcm(const Graph& g)
      : p_(g), seen_(static_cast<std::size_t>(g.n), 0), placed_(static_cast<std::size_t>(g.n), 0) {}

  std::vector<std::int32_t> order() {
    const std::vector<std::int32_t>& deg = p_.degrees();
    const std::int64_t max_degree = deg.empty() ? 0 : *std::max_element(deg.begin(), deg.end());
    // Components are started in ascending (degree, index) order of their
    // first unnumbered node, which is also George–Liu's initial guess.
    const std::vector<std::int32_t> by_degree = counting_order(deg, max_degree, false);
    std::vector<std::int32_t> numbered;
    numbered.reserve(by_degree.size());
    for (const std::int32_t s : by_degree)
      if (!placed_[static_cast<std::size_t>(s)]) cuthill_mckee(pseudo_peripheral(s), numbered);
    std::reverse(numbered.begin(), numbered.end());
    return numbered;
  }

 private:
  // George–Liu: move to the lowest-degree node of the last BFS level while
  // that increases the eccentricity. Each step is one BFS of the component;
  // the cap bounds the time on huge components whose eccentricity creeps up.
  std::int32_t pseudo_peripheral(std::int32_t s) {
    if (p_.degree(s) == 0) return s;
    constexpr int max_steps = 8;
    auto [ecc, x] = farthest(s);
    for (int step = 0; step < max_steps; ++step) {
      const auto [ecc_x, y] = farthest(x);
      if (ecc_x <= ecc) break;
      s = x;
      ecc = ecc_x;
      x = y;
    }
    return s;
  }

  // BFS of s's component (all of it unnumbered): its eccentricity, and the
  // lowest (degree, index) node of its last level.
  std::pair<int, std::int32_t> farthest(std::int32_t s) {
    queue_.clear();
    queue_.push_back(s);
    seen_[static_cast<std::size_t>(s)] = 1;
    std::size_t level = 0;
    int ecc = 0;
    for (;;) {
      const std::size_t end = queue_.size();
      for (std::size_t q = level; q < end; ++q)
        p_.for_each_neighbour(queue_[q], [&](std::int32_t u) {
          if (!seen_[static_cast<std::size_t>(u)]) {
            seen_[static_cast<std::size_t>(u)] = 1;
            queue_.push_back(u);
          }
        });
      if (queue_.size() == end) break;
      level = end;
      ++ecc;
    }
    std::int32_t best = queue_[level];
    for (std::size_t q = level + 1; q < queue_.size(); ++q)
      if (p_.before(queue_[q], best)) best = queue_[q];
    for (const std::int32_t v : queue_) seen_[static_cast<std::size_t>(v)] = 0;
    return {ecc, best};
  }

  void cuthill_mckee(std::int32_t s, std::vector<std::int32_t>& numbered) {
    placed_[static_cast<std::size_t>(s)] = 1;
    numbered.push_back(s);
    for (std::size_t head = numbered.size() - 1; head < numbered.size(); ++head) {
      const std::size_t first = numbered.size();
      p_.for_each_neighbour(numbered[head], [&](std::int32_t u) {
        if (!placed_[static_cast<std::size_t>(u)]) {
          placed_[static_cast<std::size_t>(u)] = 1;
          numbered.push_back(u);
        }
      });
      std::sort(numbered.begin() + static_cast<std::ptrdiff_t>(first), numbered.end(),
                [&](std::int32_t a, std::int32_t b) { return p_.before(a, b); });
    }
  }

  SymmetricPattern p_;
  std::vector<std::uint8_t> seen_, placed_;
  std::vector<std::int32_t> queue_;
};

}  // namespace

std::optional<ReorderMethod> parse_reorder_method(std::string_view name) {
  if (name == "degree") return ReorderMethod::degree;
  if (name == "rcm") return ReorderMethod::rcm;
  return std::nullopt;
}

std::string_view to_string(ReorderMethod method) { return method == ReorderMethod::degree ? "degree" : "rcm"; }

std::vector<std::int32_t> order_agents(const Graph& graph, ReorderMethod method) {
  return method == ReorderMethod::degree ? degree_order(graph) : Rcm(graph).order();
}

std::vector<std::int32_t> inverse_permutation(const std::vector<std::int32_t>& new_to_old) {
  std::vector<std::int32_t> old_to_new(new_to_old.size(), -1);
  for (std::size_t r = 0; r < new_to_old.size(); ++r) {
    const std::int32_t old = new_to_old[r];
    if (old < 0 || static_cast<std::size_t>(old) >= new_to_old.size() || old_to_new[static_cast<std::size_t>(old)] >= 0)
      throw InternalError("agent order is not a permutation: position " + std::to_string(r) + " holds agent " +
                          std::to_string(old));
    old_to_new[static_cast<std::size_t>(old)] = static_cast<std::int32_t>(r);
  }
  return old_to_new;
}

std::int64_t bandwidth(const Graph& g, const std::vector<std::int32_t>& old_to_new) {
  const auto at = [&](std::int64_t v) -> std::int64_t {
    return old_to_new.empty() ? v : old_to_new[static_cast<std::size_t>(v)];
  };
  std::int64_t widest = 0;
#pragma omp parallel for schedule(static) reduction(max : widest)
  for (std::int64_t i = 0; i < g.n; ++i)
    for (std::int64_t k = g.indptr[i]; k < g.indptr[i + 1]; ++k)
      widest = std::max(widest, std::abs(at(g.indices[k]) - at(i)));
  return widest;
}

void write_reordered_graph(const std::string& path, const Graph& g, const std::vector<std::int32_t>& new_to_old,
                           const GraphWriteOptions& options) {
  TRUSTPROP_ASSERT(static_cast<std::int64_t>(new_to_old.size()) == g.n, "the agent order must have one entry per agent");
  const std::vector<std::int32_t> old_to_new = inverse_permutation(new_to_old);
  GraphWriteOptions o = options;
  if (o.expected_nnz == 0) o.expected_nnz = std::max<std::int64_t>(g.nnz(), 1);
  GraphWriter w(path, g.n, g.source, o);

  // Row blocks of about 4M entries: each new row is an old row with its
  // columns renumbered and re-sorted.
  constexpr std::int64_t block_entries = 4 << 20;
  std::vector<std::int64_t> lengths, offsets;
  std::vector<std::pair<std::int32_t, float>> entries;
  std::vector<std::int32_t> columns;
  std::vector<float> weights;
  std::int64_t r0 = 0;
  while (r0 < g.n) {
    lengths.clear();
    offsets.assign(1, 0);
    for (std::int64_t r = r0; r < g.n && (r == r0 || offsets.back() < block_entries); ++r) {
      const std::int32_t old = new_to_old[static_cast<std::size_t>(r)];
      lengths.push_back(g.indptr[old + 1] - g.indptr[old]);
      offsets.push_back(offsets.back() + lengths.back());
    }
    const auto rows = static_cast<std::int64_t>(lengths.size());
    entries.resize(static_cast<std::size_t>(offsets.back()));
#pragma omp parallel for schedule(dynamic, 256)
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int32_t old = new_to_old[static_cast<std::size_t>(r0 + r)];
      auto* out = entries.data() + offsets[r];
      for (std::int64_t k = g.indptr[old]; k < g.indptr[old + 1]; ++k)
        *out++ = {old_to_new[static_cast<std::size_t>(g.indices[k])], g.data[k]};
      std::sort(entries.data() + offsets[r], out,
                [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    columns.resize(entries.size());
    weights.resize(entries.size());
    for (std::size_t e = 0; e < entries.size(); ++e) {
      columns[e] = entries[e].first;
      weights[e] = entries[e].second;
    }
    w.append_rows(lengths.data(), rows, columns.data(), weights.data());
    r0 += rows;
  }

  const auto n = static_cast<std::size_t>(g.n);
  if (!g.kind.empty()) {
    std::vector<std::uint8_t> kind(n);
    for (std::size_t r = 0; r < n; ++r) kind[r] = g.kind[static_cast<std::size_t>(new_to_old[r])];
    w.set_kinds(kind);
  }
  std::vector<std::int64_t> id(n);
  for (std::size_t r = 0; r < n; ++r)
    id[r] = g.id.empty() ? new_to_old[r] : g.id[static_cast<std::size_t>(new_to_old[r])];
  w.set_ids(id);
  w.set_previous_index(new_to_old);
  w.commit();
}

}  // namespace trustprop::io
