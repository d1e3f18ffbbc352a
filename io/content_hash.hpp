// Content hash of a CSR graph: XXH3-64 over indptr, indices and data in that
// order, as stored. Computed while streaming, so writing a graph never needs
// a second pass; `info --verify` recomputes it to detect corrupted files.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace trustprop::io {

class ContentHasher {
 public:
  ContentHasher();
  ~ContentHasher();
  ContentHasher(const ContentHasher&) = delete;
  ContentHasher& operator=(const ContentHasher&) = delete;

  // The three arrays are hashed as separate streams and combined at the end,
  // so they may be fed interleaved, in row blocks.
  void indptr(const void* bytes, std::size_t size);
  void indices(const void* bytes, std::size_t size);
  void data(const void* bytes, std::size_t size);
  std::string hex() const;  // "xxh3:0123456789abcdef"

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace trustprop::io
