// Reading the simulation's TOML configuration (host/simulation_config.hpp).
// One schema lists every section and key with its type, range and target
// field; parsing walks the file against it (so nothing unknown slips
// through), and the resolved configuration is written from the same schema
// (so it lists every key, in the documented order).
#include "host/simulation_config.hpp"


#include <toml++/toml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <vector>

#include "common/error.hpp"
#include "io/text_input.hpp"

namespace trustprop::host {

namespace {

namespace fs = std::filesystem;

enum class Type { integer, number, boolean, string };

const char* type_name(Type t) {
  switch (t) {
    case Type::integer: return "an integer";
    case Type::number: return "a number";
    case Type::boolean: return "a boolean (true or false)";
    case Type::string: return "a string";
  }
  return "?";
}

std::string found_type(const toml::node& v) {
  switch (v.type()) {
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::string: return "a string";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    default: return "a date or time";
  }
}

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// One key: its type, how to check and store a value, and how to write it back.
struct Field {
  std::string key;
  Type type;
  std::function<void(const toml::node& value, const std::string& name)> set;  // throws ConfigError (name: "[s] k = v")
  std::function<void(std::ostream& out)> write;
  std::function<bool()> present = [] { return true; };  // written to the resolved configuration?
};

struct Section {
  std::string name;
  std::vector<Field> fields;
};

Field number(std::string key, double& target, double lo, double hi, bool lo_open = false) {
  Field f{std::move(key), Type::number, {}, {}};
  f.set = [&target, lo, hi, lo_open](const toml::node& v, const std::string& name) {
    const double x = v.is_integer() ? static_cast<double>(v.as_integer()->get()) : v.as_floating_point()->get();
    const bool ok = std::isfinite(x) && (lo_open ? x > lo : x >= lo) && x <= hi;
    if (!ok) {
      std::string range = std::string(lo_open ? "(" : "[") + number_text(lo) + ", " +
                          (std::isinf(hi) ? std::string("inf)") : number_text(hi) + "]");
      throw ConfigError(name + " = " + number_text(x) + ": must be in " + range);
    }
    target = x;
  };
  f.write = [&target](std::ostream& out) { out << toml::value<double>(target); };
  return f;
}

template <class T>
Field integer(std::string key, T& target, std::int64_t lo, std::int64_t hi) {
  Field f{std::move(key), Type::integer, {}, {}};
  f.set = [&target, lo, hi](const toml::node& v, const std::string& name) {
    const std::int64_t x = v.as_integer()->get();
    if (x < lo || x > hi)
      throw ConfigError(name + " = " + std::to_string(x) + ": must be in [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "]");
    target = static_cast<T>(x);
  };
  f.write = [&target](std::ostream& out) { out << static_cast<std::int64_t>(target); };
  return f;
}

Field boolean(std::string key, bool& target) {
  Field f{std::move(key), Type::boolean, {}, {}};
  f.set = [&target](const toml::node& v, const std::string&) { target = v.as_boolean()->get(); };
  f.write = [&target](std::ostream& out) { out << (target ? "true" : "false"); };
  return f;
}

// A string; `check` validates and stores it.
Field text(std::string key, std::function<void(const std::string&, const std::string& name)> check,
           std::function<std::string()> get) {
  Field f{std::move(key), Type::string, {}, {}};
  f.set = [check](const toml::node& v, const std::string& name) { check(v.as_string()->get(), name); };
  f.write = [get](std::ostream& out) { out << toml::value<std::string>(get()); };
  return f;
}

Field choice(std::string key, std::string& target, std::vector<std::string> options) {
  return text(
      std::move(key),
      [&target, options](const std::string& v, const std::string& name) {
        std::string list;
        for (const auto& o : options) {
          if (o == v) {
            target = v;
            return;
          }
          list += (list.empty() ? "" : ", ") + ("\"" + o + "\"");
        }
        throw ConfigError(name + ": must be one of " + list);
      },
      [&target] { return target; });
}

constexpr double inf = std::numeric_limits<double>::infinity();
// Payoff amounts (b, c, F, ρ): up to 1e12 units, an epoch's payoff (at most
// a few such amounts per tie of an agent, plus ρ·n) stays a finite float64.
constexpr double max_payoff_unit = 1e12;
constexpr std::int64_t max_epochs = std::numeric_limits<std::uint32_t>::max();

// The resolved spellings of registration and of the gather precision.
struct Names {
  std::string registration;
  std::string gather_precision;
};

std::string precision_name(const EigenTrustOptions& o) { return o.float32_gather ? "float32" : "float64"; }

Registration registration_of(const std::string& name) {
  if (name == "random") return Registration::random;
  if (name == "none") return Registration::none;
  return Registration::graph;
}

// The schema over `c` (the fields refer into it). `names` holds string
// forms of enumerations while parsing.
std::vector<Section> schema(SimulationConfig& c, Names& names) {
  DynamicsParameters& m = c.model;
  io::CityParams& city = c.graph.city;
  const auto generated = [&c] { return !c.graph.generate.empty(); };
  std::vector<Section> s;
  s.push_back({"run",
               {text(
                    "name",
                    [&c](const std::string& v, const std::string& name) {
                      const bool control = std::any_of(v.begin(), v.end(), [](char ch) {
                        return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
                      });
                      if (v.empty() || v.find('/') != std::string::npos || v == "." || v == ".." || control)
                        throw ConfigError(name + ": must be a plain directory name (no '/', no control characters)");
                      c.name = v;
                    },
                    [&c] { return c.name; }),
                integer("epochs", c.epochs, 1, max_epochs), integer("seed", c.seed, 0, INT64_MAX)}});
  Section graph{"graph",
                {text(
                     "path",
                     [&c](const std::string& v, const std::string& name) {
                       if (v.empty()) throw ConfigError(name + ": must not be empty");
                       c.graph.path = v;
                     },
                     [&c] { return c.graph.path; }),
                 choice("generate", c.graph.generate, {"city"}),
                 integer("agents", city.agents, io::city_min_agents, std::numeric_limits<std::int32_t>::max()),
                 integer("seed", city.seed, 0, INT64_MAX),
                 number("mean_degree", city.mean_degree, io::city_min_mean_degree, io::city_max_mean_degree),
                 number("institution_share", city.institution_share, 0.0, 0.5),
                 number("enterprise_share", city.enterprise_share, 0.0, 0.5)}};
  graph.fields[0].present = [&c] { return !c.graph.path.empty(); };
  for (std::size_t k = 1; k < graph.fields.size(); ++k) graph.fields[k].present = generated;
  s.push_back(std::move(graph));
  s.push_back({"interaction",
               {number("rate", m.interaction_rate, 0.0, inf), number("benefit", m.benefit, 0.0, max_payoff_unit),
                number("cost", m.cost, 0.0, max_payoff_unit), number("avoid_below", m.avoid_below, 0.0, 1.0),
                number("initial_cooperation", m.initial_cooperation, 0.0, 1.0)}});
  s.push_back({"evidence", {number("forgetting", m.forgetting, 0.0, 1.0)}});
  s.push_back({"platform",
               {choice("registration", names.registration, {"graph", "random", "none"}),
                number("registered_share", m.registered_share, 0.0, 1.0),
                number("supervision", m.supervision, 0.0, 1.0), number("fine", m.fine, 0.0, max_payoff_unit),
                boolean("pooled_feedback", m.pooled_feedback)}});
  s.push_back({"propagation",
               {number("restart_probability", m.propagation.restart, 0.0, 1.0, true),
                number("tolerance", m.propagation.tolerance, 0.0, inf),
                integer("max_iterations", m.propagation.max_iterations, 1, 1000000),
                choice("gather_precision", names.gather_precision, {"float32", "float64"})}});
  s.push_back({"recognition", {number("reward", m.reward, 0.0, max_payoff_unit), number("sharing", m.sharing, 0.0, 1.0)}});
  s.push_back({"adaptation", {number("noise", m.noise, 0.0, inf, true), number("revision", m.revision, 0.0, 1.0)}});
  s.push_back({"output", {integer("trust_every", c.trust_every, 0, max_epochs)}});
  s.push_back({"checkpoint",
               {integer("every", c.checkpoint_every, 0, max_epochs), integer("keep", c.checkpoint_keep, 1, 1000000)}});
  return s;
}

bool type_matches(Type t, const toml::node& v) {
  switch (t) {
    case Type::integer: return v.is_integer();
    case Type::number: return v.is_integer() || v.is_floating_point();
    case Type::boolean: return v.is_boolean();
    case Type::string: return v.is_string();
  }
  return false;
}

std::string at(const std::string& source, const toml::source_region& where) {
  return source + ":" + std::to_string(where.begin.line);
}

std::string known_keys(const Section& section) {
  std::string list;
  for (const Field& f : section.fields) list += (list.empty() ? "" : ", ") + f.key;
  return list;
}

}  // namespace

std::string registration_name(Registration r) {
  switch (r) {
    case Registration::graph: return "graph";
    case Registration::random: return "random";
    case Registration::none: return "none";
  }
  return "graph";
}

SimulationConfig parse_simulation_config(std::string_view text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    throw ConfigError(source + ":" + std::to_string(e.source().begin.line) + ":" +
                      std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
  }
  SimulationConfig c;
  c.source = source;
  Names names{registration_name(c.model.registration), precision_name(c.model.propagation)};
  std::vector<Section> sections = schema(c, names);
  std::string city_key_where;  // the first city key of [graph], as "file:line: [graph] key"
  std::map<std::string, std::string> city_key_at;  // [graph] key -> "file:line"

  for (auto&& [section_key, section_node] : root) {
    const std::string section_name(section_key.str());
    Section* section = nullptr;
    for (Section& s : sections)
      if (s.name == section_name) section = &s;
    if (!section) {
      std::string list;
      for (const Section& s : sections) list += (list.empty() ? "" : ", ") + s.name;
      throw ConfigError(at(source, section_key.source()) + ": unknown section or key '" + section_name +
                        "' (the sections are " + list + ")");
    }
    const toml::table* table = section_node.as_table();
    if (!table)
      throw ConfigError(at(source, section_key.source()) + ": '" + section_name + "' must be a section [" +
                        section_name + "], not " + found_type(section_node));
    for (auto&& [key, value] : *table) {
      const std::string key_name(key.str());
      const std::string name = "[" + section_name + "] " + key_name;
      const Field* field = nullptr;
      for (const Field& f : section->fields)
        if (f.key == key_name) field = &f;
      if (!field)
        throw ConfigError(at(source, key.source()) + ": unknown key " + name + " (the keys of [" + section_name +
                          "] are " + known_keys(*section) + ")");
      if (!type_matches(field->type, value))
        throw ConfigError(at(source, key.source()) + ": " + name + " must be " + type_name(field->type) + ", not " +
                          found_type(value));
      try {
        field->set(value, name);
      } catch (const ConfigError& e) {
        throw ConfigError(at(source, key.source()) + ": " + e.what());
      }
      if (section_name == "graph" && key_name != "path" && key_name != "generate") {
        if (city_key_at.empty()) city_key_where = at(source, key.source()) + ": " + name;
        city_key_at[key_name] = at(source, key.source());
      }
    }
  }

  // The graph: a file, or a generated city (the default).
  GraphSpec& g = c.graph;
  if (!g.path.empty() && !g.generate.empty())
    throw ConfigError(source + ": [graph] has both path and generate: give one of them");
  if (!g.path.empty() && !city_key_at.empty())
    throw ConfigError(city_key_where + " applies only to a generated city (generate = \"city\"), not to path");
  if (g.path.empty()) {
    g.generate = "city";
    try {
      io::validate_city_params(g.city, io::CityParamNames::keys);
    } catch (const Error& e) {
      // At the line of the first key the message names that the file gives.
      const std::string what = e.what();
      std::string where = source + ": [graph]";
      std::size_t first = std::string::npos;
      for (const auto& [key, at_key] : city_key_at)
        if (const std::size_t k = what.find(key); k < first) {
          first = k;
          where = at_key + ": [graph]";
        }
      throw ConfigError(where + " " + what);
    }
  } else if (fs::path(g.path).is_relative()) {
    const fs::path base = source.empty() ? fs::current_path() : fs::absolute(fs::path(source)).parent_path();
    g.path = (base / g.path).lexically_normal().string();
  }
  c.model.registration = registration_of(names.registration);
  c.model.propagation.float32_gather = names.gather_precision == "float32";
  return c;
}

SimulationConfig load_simulation_config(const std::string& path) {
  io::TextInput::require_readable(path);  // a directory opens, and reads as an empty configuration
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NoInputError(path + ": cannot read the configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw NoInputError(path + ": error reading the configuration file");
  return parse_simulation_config(text.str(), path);
}

std::string resolved_toml(const SimulationConfig& config) {
  SimulationConfig c = config;  // the schema refers into a mutable copy
  Names names{registration_name(c.model.registration), precision_name(c.model.propagation)};
  std::ostringstream out;
  out << "# trustprop simulate: the resolved configuration (every key, defaults included)\n";
  for (const Section& s : schema(c, names)) {
    out << "\n[" << s.name << "]\n";
    for (const Field& f : s.fields) {
      if (!f.present()) continue;
      out << f.key << " = ";
      f.write(out);
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace trustprop::host
