#include "io/content_hash.hpp"

#include <xxhash.h>

#include <cstdio>

namespace trustprop::io {

struct ContentHasher::State {
  XXH3_state_t* s[3];
};

ContentHasher::ContentHasher() : state_(new State) {
  for (auto& s : state_->s) {
    s = XXH3_createState();
    XXH3_64bits_reset(s);
  }
}

ContentHasher::~ContentHasher() {
  for (auto& s : state_->s) XXH3_freeState(s);
}

void ContentHasher::indptr(const void* b, std::size_t n) { XXH3_64bits_update(state_->s[0], b, n); }
void ContentHasher::indices(const void* b, std::size_t n) { XXH3_64bits_update(state_->s[1], b, n); }
void ContentHasher::data(const void* b, std::size_t n) { XXH3_64bits_update(state_->s[2], b, n); }

std::string ContentHasher::hex() const {
  XXH64_hash_t parts[3];
  for (int i = 0; i < 3; ++i) parts[i] = XXH3_64bits_digest(state_->s[i]);
  const XXH64_hash_t h = XXH3_64bits(parts, sizeof parts);
  char buf[32];
  std::snprintf(buf, sizeof buf, "xxh3:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace trustprop::io
