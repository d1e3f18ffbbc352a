// Reading text inputs (edge lists, Matrix Market) fast: a block reader over
// zlib's gzopen/gzread, so a .gz file and a plain file read the same way,
// that hands out either single lines (for headers) or large blocks of whole
// lines (for parsing in parallel), and keeps 1-based line numbers for
// messages. Also the exact field parsers (std::from_chars) the importers use.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <system_error>
#include <string>
#include <string_view>
#include <vector>

namespace trustprop::io {

// Why a line holding a carriage return before its end is refused.
inline constexpr const char* bare_carriage_return =
    "a carriage return inside the line: line ends must be \\n or \\r\\n (convert old Mac line ends with "
    "tr '\\r' '\\n')";

class TextInput {
 public:
  // Opens `path`. Throws NoInputError when it is missing, a directory or
  // unreadable. `block_bytes` is the size of the blocks next_block returns
  // (a single longer line makes one block larger).
  explicit TextInput(std::string path, std::size_t block_bytes = 32u << 20);
  // The same checks without opening it: a named pipe can be read only once.
  static void require_readable(const std::string& path);
  // Whether `path` can be read a second time (a regular file, not a pipe).
  static bool rereadable(const std::string& path);
  ~TextInput();
  TextInput(const TextInput&) = delete;
  TextInput& operator=(const TextInput&) = delete;

  const std::string& path() const { return path_; }

  // The next line without its "\n" or "\r\n" (and, on line 1, without a
  // UTF-8 byte order mark); false at the end of the input. Its number is
  // line_number() afterwards. A carriage return inside the line (old Mac
  // line ends, which would merge lines) is a DataError naming the line.
  bool next_line(std::string_view& line);
  // The next block of whole lines (each ending in "\n" except possibly the
  // input's last); false at the end. `first_line` is the number of the
  // block's first line. The view is valid until the next call.
  bool next_block(std::string_view& block, std::int64_t& first_line);

  // The number of the last line handed out (0 before the first).
  std::int64_t line_number() const { return line_; }
  // Bytes read so far, after decompression.
  std::uint64_t bytes_read() const { return bytes_; }
  // Whether the input is gzip-compressed.
  bool compressed() const { return compressed_; }

 private:
  // Reads more input behind the unconsumed bytes; false at end of input.
  bool fill();

  std::string path_;
  void* gz_ = nullptr;  // gzFile
  std::unique_ptr<char[]> buf_;  // not zero-filled: large blocks cost no page clearing up front
  std::size_t cap_ = 0;
  std::size_t begin_ = 0, end_ = 0;  // unconsumed bytes are buf_[begin_, end_)
  std::size_t block_bytes_;
  bool eof_ = false, compressed_ = false;
  std::int64_t line_ = 0;
  std::uint64_t bytes_ = 0;
};

// Exact field parsers: the whole field must be the number (an optional
// leading '+' is accepted), else the result says why not.
enum class ParseStatus { ok, invalid, out_of_range };

inline ParseStatus parse_int64(std::string_view f, std::int64_t& value) {
  const char* b = f.data();
  const char* e = b + f.size();
  bool negative = false;
  if (b != e && (*b == '+' || *b == '-')) negative = *b++ == '-';
  if (b == e) return ParseStatus::invalid;
  std::uint64_t acc = 0;
  if (e - b <= 18) {  // cannot overflow
    for (; b != e; ++b) {
      const unsigned d = static_cast<unsigned char>(*b) - static_cast<unsigned>('0');
      if (d > 9) return ParseStatus::invalid;
      acc = acc * 10 + d;
    }
  } else {
    bool overflow = false;
    for (; b != e; ++b) {
      const unsigned d = static_cast<unsigned char>(*b) - static_cast<unsigned>('0');
      if (d > 9) return ParseStatus::invalid;
      overflow |= __builtin_mul_overflow(acc, 10u, &acc) || __builtin_add_overflow(acc, d, &acc);
    }
    const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    if (overflow || acc > limit) return ParseStatus::out_of_range;
  }
  value = negative ? static_cast<std::int64_t>(0 - acc) : static_cast<std::int64_t>(acc);
  return ParseStatus::ok;
}

// A float32 weight, correctly rounded; "nan" and "inf" parse (callers reject
// non-finite values); values beyond float32's range are out_of_range, and
// values that round to zero (1e-46) are 0. A zero is +0 ("-0" too).
inline ParseStatus parse_float(std::string_view f, float& value) {
  const char* b = f.data();
  const char* e = b + f.size();
  if (b != e && *b == '+' && (++b == e || *b == '-' || *b == '+')) return ParseStatus::invalid;
  // Fast path for plain decimals with few digits ("4", "-10", "0.42", ".8"):
  // m / 10^k with m < 2^24 and k <= 10 is one correctly rounded float
  // division of two exact floats (Clinger), the same value from_chars gives.
  {
    const char* p = b;
    const bool negative = p != e && *p == '-';
    p += negative;
    std::uint32_t m = 0;
    int digits = 0, frac = -1;
    for (; p != e && digits <= 7; ++p) {
      const unsigned d = static_cast<unsigned char>(*p) - static_cast<unsigned>('0');
      if (d <= 9) {
        m = m * 10 + d;
        ++digits;
        frac += frac >= 0;
      } else if (*p == '.' && frac < 0) {
        frac = 0;
      } else {
        break;
      }
    }
    if (p == e && digits > 0 && digits <= 7) {
      static constexpr float pow10[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f};
      const float v = static_cast<float>(m) / pow10[frac > 0 ? frac : 0];
      value = negative && v != 0.0f ? -v : v;
      return ParseStatus::ok;
    }
  }
  const auto r = std::from_chars(b, e, value, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    if (r.ptr != e) return ParseStatus::invalid;
    // from_chars gives this for values that round to 0 as well as for
    // those beyond float32's largest; only the latter are errors.
    if (std::fabs(std::strtod(std::string(b, e).c_str(), nullptr)) >= 1.0) return ParseStatus::out_of_range;
    value = 0.0f;
    return ParseStatus::ok;
  }
  if (r.ec != std::errc() || r.ptr != e) return ParseStatus::invalid;
  if (value == 0.0f) value = 0.0f;  // −0 → +0
  return ParseStatus::ok;
}

// `s` shortened for a message: at most `max` characters, printable.
std::string quote_field(std::string_view s, std::size_t max = 40);

}  // namespace trustprop::io
