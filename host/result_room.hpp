// The host room for a whole [k, n] float64 result of a batch model
// (personalized trust's seed sets, signed trust's sources), which the host
// holds however the batch was computed: where the block lives on a GPU, or
// where process 0 of a distributed run gathers every process's columns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace trustprop::host {

// Refuses (InternalError, exit 70) a run whose results of k columns held at
// once (the whole [k, n] block, or the largest share a process receives:
// 8 B per agent per column, plus 5%) this process cannot hold in host
// memory beside `beside` bytes more (this process's own run): "<what> needs
// X of host memory (the results of k <column>s held at once, 8 B per agent
// per <column>, ...), Y available; run fewer <column>s per job".
void require_result_room(std::int64_t n, std::int64_t k, std::size_t beside, const std::string& what,
                         const std::string& column);

}  // namespace trustprop::host
