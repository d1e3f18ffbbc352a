// Shared rank options and agent lists (host/rank_options.hpp). An id is
// parsed with std::from_chars (the whole token must be an int64; no
// locale) and mapped to its agent by host/pretrust.hpp's agents_of_ids.
#include "host/rank_options.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "common/error.hpp"
#include "host/pretrust.hpp"
#include "io/text_input.hpp"

namespace trustprop::host {

namespace {

// Parses [b, e) as a whole int64; false when it is not one.
bool parse_id(const char* b, const char* e, std::int64_t& id) {
  const auto [ptr, ec] = std::from_chars(b, e, id);
  return ec == std::errc() && ptr == e && b != e;
}

}  // namespace

CLI::Option* shared_rank_option(CLI::App& rank, const std::string& name, const std::string& type_name,
                                const std::string& help) {
  if (CLI::Option* existing = rank.get_option_no_throw(name)) {
    existing->description(existing->get_description() + "; " + help);
    return existing;
  }
  return rank.add_option(name, CLI::callback_t{}, help)->type_name(type_name)->expected(1);
}

CLI::Option* shared_rank_flag(CLI::App& rank, const std::string& name, const std::string& help) {
  if (CLI::Option* existing = rank.get_option_no_throw(name)) {
    existing->description(existing->get_description() + "; " + help);
    return existing;
  }
  return rank.add_flag(name, help);
}

std::vector<std::int64_t> parse_id_list(const std::string& text, const std::string& option) {
  std::vector<std::int64_t> ids;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    const std::string token = text.substr(begin, end - begin);
    std::int64_t id = 0;
    if (!parse_id(token.data(), token.data() + token.size(), id))
      throw UsageError(option + " " + text + ": '" + token + "' is not an agent id (give ids separated by commas)");
    ids.push_back(id);
    begin = end + 1;
  }
  return ids;
}

std::vector<std::int64_t> agents_from_ids(const io::Graph& g, const std::vector<std::int64_t>& ids,
                                          const std::string& option) {
  const auto agents = agents_of_ids(g, ids);
  for (std::size_t k = 0; k < ids.size(); ++k)
    if (agents[k] < 0)
      throw UsageError(option + ": agent id " + std::to_string(ids[k]) + " is not in the graph");
  return agents;
}

IdFile ids_from_file(const std::string& path, const std::string& option) {
  io::TextInput in(path, 1u << 20);
  IdFile f;
  auto& [ids, lines] = f;
  std::string_view line;
  while (in.next_line(line)) {
    const std::int64_t lineno = in.line_number();
    const std::string text(line.substr(0, line.find('#')));
    const char* separators = " \t,";
    for (auto b = text.find_first_not_of(separators); b != std::string::npos;) {
      const auto e = std::min(text.find_first_of(separators, b), text.size());
      std::int64_t id = 0;
      if (!parse_id(text.data() + b, text.data() + e, id))
        throw DataError(path + ":" + std::to_string(lineno) + ": '" + text.substr(b, e - b) + "' is not an agent id");
      ids.push_back(id);
      lines.push_back(lineno);
      b = text.find_first_not_of(separators, e);
    }
  }
  if (ids.empty()) throw UsageError(option + " " + path + ": the file lists no agents");
  return f;
}

std::vector<std::int64_t> agents_from_file(const io::Graph& g, const std::string& path, const std::string& option) {
  const auto [ids, lines] = ids_from_file(path, option);
  const auto agents = agents_of_ids(g, ids);
  for (std::size_t k = 0; k < ids.size(); ++k)
    if (agents[k] < 0)
      throw DataError(path + ":" + std::to_string(lines[k]) + ": agent id " + std::to_string(ids[k]) +
                      " is not in the graph");
  return agents;
}

}  // namespace trustprop::host
