// How a distributed run splits its agents among processes (DESIGN §7):
// contiguous ranges of about equal cost, cost measured in entries plus one
// per agent, so that empty rows are not free and long rows are not split.
#pragma once

#include <cstdint>
#include <vector>

namespace trustprop::host {

// Boundaries b[0] = 0 ≤ b[1] ≤ … ≤ b[parts] = n of `parts` contiguous
// ranges of agents 0..n-1, where entries_prefix[i] counts the entries of
// agents [0, i) (n + 1 non-decreasing values, as a CSR indptr): range r
// starts at the first agent whose cost prefix (entries + agents before it)
// reaches r/parts of the total.
std::vector<std::int64_t> balanced_bounds(const std::vector<std::int64_t>& entries_prefix, int parts);

// Boundaries of `parts` contiguous ranges of `count` items whose sizes
// differ by at most one: b[r] = ⌊count·r/parts⌋ (items of equal cost: the
// seed sets or source agents of a batch).
std::vector<std::int64_t> even_bounds(std::int64_t count, int parts);

// The range that holds agent `agent` (bounds as above; empty ranges skipped).
int owner_of(const std::vector<std::int64_t>& bounds, std::int64_t agent);

}  // namespace trustprop::host
