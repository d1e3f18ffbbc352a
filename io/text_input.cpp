#include "io/text_input.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "common/error.hpp"

namespace trustprop::io {

namespace {
gzFile as_gz(void* p) { return static_cast<gzFile>(p); }
}  // namespace

TextInput::TextInput(std::string path, std::size_t block_bytes)
    : path_(std::move(path)), block_bytes_(std::max<std::size_t>(block_bytes, 4096)) {
  require_readable(path_);
  errno = 0;
  gzFile gz = gzopen(path_.c_str(), "rb");
  if (!gz) throw NoInputError(path_ + ": cannot open: " + std::strerror(errno ? errno : EIO));
  gz_ = gz;
  gzbuffer(gz, 1u << 20);
}

void TextInput::require_readable(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw NoInputError(path + ": cannot open: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw NoInputError(path + ": is a directory, not an input file");
  if (access(path.c_str(), R_OK) != 0) throw NoInputError(path + ": cannot open: " + std::strerror(errno));
}

bool TextInput::rereadable(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

TextInput::~TextInput() {
  if (gz_) gzclose(as_gz(gz_));
}

bool TextInput::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (cap_ < end_ + block_bytes_) {
    std::unique_ptr<char[]> bigger(new char[end_ + block_bytes_]);
    if (end_ > 0) std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    cap_ = end_ + block_bytes_;
  }
  std::size_t got_total = 0;
  while (end_ < cap_) {
    const unsigned want = static_cast<unsigned>(std::min<std::size_t>(cap_ - end_, 1u << 30));
    const int got = gzread(as_gz(gz_), buf_.get() + end_, want);
    int errnum = Z_OK;
    const char* msg = got <= 0 ? gzerror(as_gz(gz_), &errnum) : nullptr;
    if (got < 0 || (got == 0 && errnum != Z_OK && errnum != Z_STREAM_END)) {
      // The line reached so far: lines handed out plus complete lines buffered.
      const std::int64_t line =
          line_ + std::count(buf_.get() + begin_, buf_.get() + end_, '\n') + 1;
      if (errnum == Z_ERRNO)
        throw NoInputError(path_ + ":" + std::to_string(line) + ": read error: " + std::strerror(errno));
      std::string why = msg ? msg : "error";
      if (why.compare(0, path_.size() + 2, path_ + ": ") == 0) why.erase(0, path_.size() + 2);  // zlib repeats the path
      throw DataError(path_ + ":" + std::to_string(line) + ": compressed input is truncated or corrupt (zlib: " +
                      why + ")");
    }
    if (got == 0) {
      eof_ = true;
      break;
    }
    if (bytes_ == 0) compressed_ = gzdirect(as_gz(gz_)) == 0;
    end_ += static_cast<std::size_t>(got);
    bytes_ += static_cast<std::uint64_t>(got);
    got_total += static_cast<std::size_t>(got);
  }
  return got_total > 0;
}

bool TextInput::next_line(std::string_view& line) {
  for (;;) {
    const char* b = buf_.get() + begin_;
    const char* nl =
        end_ > begin_ ? static_cast<const char*>(std::memchr(b, '\n', end_ - begin_)) : nullptr;
    if (nl || (eof_ && begin_ < end_)) {
      const char* e = nl ? nl : buf_.get() + end_;
      begin_ = nl ? static_cast<std::size_t>(nl + 1 - buf_.get()) : end_;
      if (e > b && e[-1] == '\r') --e;
      if (line_ == 0 && e - b >= 3 && std::memcmp(b, "\xEF\xBB\xBF", 3) == 0) b += 3;  // UTF-8 byte order mark
      line = std::string_view(b, static_cast<std::size_t>(e - b));
      ++line_;
      if (std::memchr(b, '\r', line.size()))
        throw DataError(path_ + ":" + std::to_string(line_) + ": " + bare_carriage_return);
      return true;
    }
    if (!fill()) return false;
  }
}

bool TextInput::next_block(std::string_view& block, std::int64_t& first_line) {
  if (end_ - begin_ < block_bytes_ / 2 && !eof_) fill();
  for (;;) {
    if (begin_ == end_) return false;
    const char* b = buf_.get() + begin_;
    const std::size_t len = end_ - begin_;
    const char* last = static_cast<const char*>(memrchr(b, '\n', len));
    if (last || eof_) {
      const std::size_t take = last ? static_cast<std::size_t>(last + 1 - b) : len;
      block = std::string_view(b, take);
      first_line = line_ + 1;
      const std::int64_t newlines = std::count(b, b + take, '\n');
      line_ += newlines + (take > 0 && b[take - 1] != '\n' ? 1 : 0);
      begin_ += take;
      return true;
    }
    if (!fill() && !eof_) return false;  // not reached: fill() sets eof_ when it reads nothing
  }
}

std::string quote_field(std::string_view s, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace trustprop::io
